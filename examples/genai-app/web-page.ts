/**
 * The example's web page (`GET /`): plain HTML with one script of its own (`/app.js`, see
 * `web-page-script.ts`) and no inline script, so a strict Content-Security-Policy holds. It signs in
 * with gatehouse's cookie mode: the tokens stay in HttpOnly cookies, and the script echoes the
 * CSRF cookie in `X-CSRF-Token` on every unsafe request.
 *
 * @module
 */

/** Headers of the pages and their scripts: no framing, no inline script, no referrer. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page, with a "Log in with ..." link per configured provider and, in development, the outbox link. */
export function webPageHtml(options: { providers: readonly string[]; development: boolean }): string {
  const providerLinks = options.providers
    .map((name) => {
      const label = name === 'github' ? 'GitHub' : name === 'oidc' ? 'OpenID Connect' : name;
      return `<a class="button" id="oauth-${escapeHtml(name)}" href="/auth/oauth/${encodeURIComponent(name)}/login?return_to=%2F">Log in with ${escapeHtml(label)}</a>`;
    })
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>GenAI example — gatehouse</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  section { border-top: 1px solid #ccc; margin-top: 1.5rem; padding-top: .5rem; }
  label { display: block; margin-top: .5rem; }
  input, textarea, select { font: inherit; padding: .3rem; box-sizing: border-box; max-width: 100%; }
  textarea { width: 100%; }
  button, .button { font: inherit; margin: .5rem .5rem 0 0; padding: .3rem .8rem; }
  [hidden] { display: none !important; }
  .dev { background: #fff4d6; border: 2px dashed #b80; padding: .5rem; }
  #status, #message { font-weight: 600; }
  pre { white-space: pre-wrap; background: #f4f4f4; padding: .5rem; }
  pre:empty { display: none; }
  table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2rem .4rem; }
</style>
</head>
<body>
<header>
  <h1>GenAI example</h1>
  <p id="status" role="status">Not signed in.</p>
  <button id="logout" type="button" hidden>Log out</button>
</header>
<p id="message" role="alert"></p>

<section id="signed-out">
  <h2>Register</h2>
  <form id="register-form">
    <label>Email <input id="register-email" type="email" autocomplete="username" required></label>
    <label>Password (15 characters or more) <input id="register-password" type="password" autocomplete="new-password" minlength="15" required></label>
    <button type="submit">Register</button>
  </form>
  <h2>Log in</h2>
  <form id="login-form">
    <label>Email <input id="login-email" type="email" autocomplete="username" required></label>
    <label>Password <input id="login-password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in</button>
  </form>
  <form id="mfa-form" hidden>
    <label>Code from your authenticator app <input id="mfa-code" inputmode="numeric" autocomplete="one-time-code" required></label>
    <button type="submit">Verify</button>
  </form>
  <p>${providerLinks || 'No OAuth provider is configured (see the README: GITHUB_CLIENT_ID, OIDC_ISSUER).'}</p>
  <h2>Forgot your password?</h2>
  <form id="reset-request-form">
    <label>Email <input id="reset-email" type="email" autocomplete="username" required></label>
    <button type="submit">Send a reset link</button>
  </form>
</section>

<section id="token-forms" hidden>
  <h2 id="token-title"></h2>
  <form id="reset-confirm-form" hidden>
    <label>New password <input id="reset-password" type="password" autocomplete="new-password" required></label>
    <button type="submit">Set the new password</button>
  </form>
</section>

<main id="signed-in" hidden>
  <section>
    <h2>Generate text</h2>
    <label>Prompt <textarea id="prompt" rows="3">Write a haiku about gates</textarea></label>
    <label>Model <select id="model"><option value="local-small">local-small</option><option value="local-large">local-large (paid plans)</option></select></label>
    <button id="generate" type="button">Generate</button>
    <button id="generate-image" type="button">Generate an image (moderators and admins)</button>
    <pre id="output" aria-live="polite"></pre>
    <div id="image-result"></div>
  </section>
  <section>
    <h2>Conversations</h2>
    <form id="conversation-form">
      <label>Title <input id="conversation-title" required></label>
      <button type="submit">New conversation</button>
    </form>
    <ul id="conversations"></ul>
    <form id="share-form">
      <label>Conversation <select id="share-id"></select></label>
      <label>Share with (email) <input id="share-email" type="email" required></label>
      <button type="submit">Share</button>
    </form>
    <pre id="conversation-view"></pre>
  </section>
  <section>
    <h2>Two-factor authentication</h2>
    <form id="totp-start-form">
      <label>Current password <input id="totp-password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Set up an authenticator app</button>
    </form>
    <div id="totp-setup" hidden>
      <img id="totp-qr" alt="QR code to scan with an authenticator app" width="200" height="200">
      <p>Or type this secret: <code id="totp-secret"></code></p>
      <form id="totp-confirm-form">
        <label>Code shown by the app <input id="totp-code" inputmode="numeric" autocomplete="one-time-code" required></label>
        <button type="submit">Turn on</button>
      </form>
    </div>
    <pre id="backup-codes" hidden></pre>
  </section>
  <section id="admin" hidden>
    <h2>Administration</h2>
    <table><thead><tr><th>Email</th><th>Role</th><th>Active</th><th>Plan</th><th>Actions</th></tr></thead>
    <tbody id="admin-users"></tbody></table>
    <button id="admin-more" type="button" hidden>More users</button>
  </section>
</main>
${
  options.development
    ? `<section class="dev" id="dev-outbox">
  <h2>Development outbox</h2>
  <p>Development only: mails are kept here instead of being sent. Set SMTP_HOST to send real mail.</p>
  <button id="refresh-outbox" type="button">Refresh</button>
  <ol id="outbox"></ol>
</section>`
    : ''
}
<script src="/app.js"></script>
</body>
</html>
`;
}
