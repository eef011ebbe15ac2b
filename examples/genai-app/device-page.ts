/**
 * The device-login page of the example (RFC 8628 §3.3): where a user who runs the CLI types the
 * code it shows, signs in, sees which client asks for what, and approves or denies. A static page
 * and a script of its own (no inline script, so a strict Content-Security-Policy holds); it talks
 * only to gatehouse's routes: `/auth/login`, `/auth/device/verify`, `/auth/device/approve`. It signs
 * in with gatehouse's cookie mode (HttpOnly session cookies; the CSRF cookie echoed in
 * `X-CSRF-Token`), like the main page.
 */

/** The page: `GET /device` (and `/device?user_code=...` from `verification_uri_complete`). */
export const DEVICE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Connect a device</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
  label { display: block; margin-top: .75rem; }
  input { width: 100%; padding: .4rem; font: inherit; box-sizing: border-box; }
  button { margin-top: 1rem; margin-right: .5rem; padding: .4rem 1rem; font: inherit; }
  [hidden] { display: none; }
  #message { margin-top: 1rem; font-weight: 600; }
</style>
</head>
<body>
<h1>Connect a device</h1>
<form id="sign-in">
  <label>Email <input id="email" type="email" autocomplete="username" required></label>
  <label>Password <input id="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<form id="code" hidden>
  <label>Code shown by the device <input id="user-code" autocomplete="off" required></label>
  <button type="submit">Continue</button>
</form>
<section id="confirm" hidden>
  <p><strong id="client-name"></strong> asks for access: <span id="scope"></span></p>
  <button id="approve" type="button">Approve</button>
  <button id="deny" type="button">Deny</button>
</section>
<p id="message" role="status"></p>
<script src="/device.js"></script>
</body>
</html>
`;

/** The page's script: `GET /device.js`. Text goes into the page with `textContent` only. */
export const DEVICE_PAGE_SCRIPT = `'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $('message').textContent = text; };
  const csrfToken = () => {
    for (const part of document.cookie.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === '__Host-gatehouse-csrf' || name === 'gatehouse-csrf') return decodeURIComponent(value.join('='));
    }
    return '';
  };
  let userCode = new URLSearchParams(location.search).get('user_code') || '';
  $('user-code').value = userCode;

  async function post(path, body) {
    const headers = { 'content-type': 'application/json', 'x-csrf-token': csrfToken() };
    const response = await fetch('/auth' + path, { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, data };
  }

  $('sign-in').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await post('/login', { email: $('email').value, password: $('password').value });
    if (!ok || data.mfa_required) { say(data.mfa_required ? 'Sign in on the main page first: this page does not ask for a second factor.' : 'Sign-in failed.'); return; }
    $('sign-in').hidden = true;
    $('code').hidden = false;
    say('');
  });

  $('code').addEventListener('submit', async (event) => {
    event.preventDefault();
    userCode = $('user-code').value;
    const { ok, data } = await post('/device/verify', { user_code: userCode });
    if (!ok) { say('That code is unknown or has expired.'); return; }
    $('client-name').textContent = data.client_name;
    $('scope').textContent = data.scope || '(no scope)';
    $('code').hidden = true;
    $('confirm').hidden = false;
    say('');
  });

  async function decide(approve) {
    const { ok } = await post('/device/approve', { user_code: userCode, approve });
    $('confirm').hidden = true;
    say(ok ? (approve ? 'Approved: you can go back to your device.' : 'Denied.') : 'That code is unknown or has expired.');
  }
  $('approve').addEventListener('click', () => decide(true));
  $('deny').addEventListener('click', () => decide(false));
})();
`;
