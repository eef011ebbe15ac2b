// The example page's script. Talks only to this origin; text goes into the page with
// textContent only. Signed in through gatehouse's cookie mode: the tokens are HttpOnly cookies the
// script never sees; it echoes the CSRF cookie in X-CSRF-Token on every unsafe request.

(() => {
  const $ = (id) => document.getElementById(id);
  const say = (text) => {
    $('message').textContent = text;
  };
  const csrfToken = () => {
    for (const part of document.cookie.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === '__Host-gatehouse-csrf' || name === 'gatehouse-csrf')
        return decodeURIComponent(value.join('='));
    }
    return '';
  };
  async function call(method, path, body, extraHeaders = {}) {
    const headers = { ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
    const response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }
  const describeError = (data, fallback) => data.message || data.error_description || data.error || fallback;

  let me = null;
  // Signed in when the CSRF cookie is there and /auth/me answers; an expired access cookie is
  // renewed once with the refresh cookie (POST /auth/refresh).
  async function currentUser() {
    if (!csrfToken()) return null;
    let result = await call('GET', '/auth/me');
    if (result.status === 401 && (await call('POST', '/auth/refresh', {})).ok)
      result = await call('GET', '/auth/me');
    return result.ok ? result.data.user || result.data : null;
  }
  async function refreshSession() {
    me = await currentUser();
    $('signed-out').hidden = Boolean(me);
    $('signed-in').hidden = !me;
    $('logout').hidden = !me;
    $('status').textContent = me ? `Signed in as ${me.email} (${me.role})` : 'Not signed in.';
    $('admin').hidden = me?.role !== 'ADMIN';
    if (me) {
      await loadConversations();
      if (me.role === 'ADMIN') await loadUsers();
    }
  }

  // --- Register, log in (with a second factor when enrolled), log out, reset -----------------
  $('register-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', '/auth/register', {
      email: $('register-email').value,
      password: $('register-password').value,
    });
    say(
      ok
        ? 'Registered. Check the outbox for the verification mail, then log in.'
        : describeError(data, 'Registration failed.'),
    );
  });
  let challenge = null;
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', '/auth/login', {
      email: $('login-email').value,
      password: $('login-password').value,
    });
    if (ok && data.mfa_required) {
      challenge = data.challenge;
      $('mfa-form').hidden = false;
      say('Enter the code from your authenticator app.');
      return;
    }
    say(ok ? '' : 'Login failed.');
    await refreshSession();
  });
  $('mfa-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok } = await call('POST', '/auth/mfa/verify', { challenge, code: $('mfa-code').value.trim() });
    say(ok ? '' : 'That code did not work.');
    if (ok) $('mfa-form').hidden = true;
    await refreshSession();
  });
  $('logout').addEventListener('click', async () => {
    await call('POST', '/auth/logout', {});
    say('Logged out.');
    await refreshSession();
  });
  $('reset-request-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    await call('POST', '/auth/password-reset/request', { email: $('reset-email').value });
    say('If that address has an account, a reset link is on its way.');
  });

  // --- Links from mails: /verify-email, /reset-password, /confirm-email-change ----------------
  const token = new URLSearchParams(location.search).get('token');
  async function followMailLink() {
    if (!token) return;
    if (location.pathname === '/verify-email') {
      const { ok } = await call('POST', '/auth/verify-email', { token });
      say(ok ? 'Your address is verified.' : 'That link is invalid or has expired.');
    } else if (location.pathname === '/confirm-email-change') {
      const { ok } = await call('POST', '/auth/email/confirm', { token });
      say(ok ? 'Your address is changed.' : 'That link is invalid or has expired.');
    } else if (location.pathname === '/reset-password') {
      $('token-forms').hidden = false;
      $('token-title').textContent = 'Choose a new password';
      $('reset-confirm-form').hidden = false;
    }
  }
  $('reset-confirm-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', '/auth/password-reset/confirm', {
      token,
      password: $('reset-password').value,
    });
    say(
      ok ? 'Password changed: log in with it.' : describeError(data, 'That link is invalid or has expired.'),
    );
  });

  // --- Streaming generation (Server-Sent Events over fetch) -----------------------------------
  $('generate').addEventListener('click', async () => {
    $('output').textContent = '';
    const response = await fetch('/generate/text', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-csrf-token': csrfToken(),
      },
      body: JSON.stringify({ prompt: $('prompt').value, model: $('model').value }),
    });
    if (!response.ok || !response.body) {
      const data = await response.json().catch(() => ({}));
      say(describeError(data, `Generation refused (${response.status}).`));
      return;
    }
    say('');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
      const events = buffered.split('\n\n');
      buffered = events.pop();
      for (const block of events) {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] || '{}');
        if (event === 'token') $('output').textContent += data.text;
        if (event === 'done') $('output').dataset.done = 'true';
      }
    }
  });
  $('generate-image').addEventListener('click', async () => {
    $('image-result').textContent = '';
    const { ok, status, data } = await call('POST', '/generate/image', { prompt: $('prompt').value });
    if (!ok) {
      say(
        status === 403 ? 'Image generation is for moderators and admins.' : describeError(data, 'Refused.'),
      );
      return;
    }
    const image = document.createElement('img');
    image.src = data.image;
    image.alt = 'Generated image';
    $('image-result').append(image);
  });

  // --- Conversations ---------------------------------------------------------------------------
  async function loadConversations() {
    const { ok, data } = await call('GET', '/conversations');
    const list = $('conversations');
    list.textContent = '';
    $('share-id').textContent = '';
    if (!ok) return;
    for (const conversation of data.conversations) {
      const item = document.createElement('li');
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = conversation.title;
      open.addEventListener('click', async () => {
        const { data: full } = await call('GET', `/conversations/${conversation.id}`);
        $('conversation-view').textContent =
          `${full.title}\n${(full.messages || []).map((m) => `${m.role}: ${m.text}`).join('\n')}`;
      });
      item.append(open, document.createTextNode(conversation.owned ? ' (yours)' : ' (shared with you)'));
      list.append(item);
      if (conversation.owned) {
        const option = document.createElement('option');
        option.value = conversation.id;
        option.textContent = conversation.title;
        $('share-id').append(option);
      }
    }
  }
  $('conversation-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', '/conversations', { title: $('conversation-title').value });
    say(ok ? `Created "${data.title}".` : describeError(data, 'Refused.'));
    await loadConversations();
  });
  $('share-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', `/conversations/${$('share-id').value}/share`, {
      email: $('share-email').value,
    });
    say(ok ? data.message : describeError(data, 'Refused.'));
  });

  // --- TOTP enrolment --------------------------------------------------------------------------
  $('totp-start-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', '/auth/mfa/totp/enroll', {
      current_password: $('totp-password').value,
    });
    if (!ok) {
      say(describeError(data, 'Could not start.'));
      return;
    }
    $('totp-qr').src = `data:image/svg+xml;base64,${btoa(data.qr_svg)}`;
    $('totp-secret').textContent = data.secret;
    $('totp-setup').hidden = false;
  });
  $('totp-confirm-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { ok, data } = await call('POST', '/auth/mfa/totp/confirm', { code: $('totp-code').value.trim() });
    if (!ok) {
      say(describeError(data, 'That code did not work.'));
      return;
    }
    $('totp-setup').hidden = true;
    $('backup-codes').hidden = false;
    $('backup-codes').textContent =
      `Two-factor authentication is on. Backup codes (keep them safe):\n${data.backup_codes.join('\n')}`;
    say('Two-factor authentication is on.');
  });

  // --- Administration --------------------------------------------------------------------------
  // One page of gatehouse's user listing at a time; "More users" asks for the next one.
  let nextUsers = null;
  async function loadUsers(more = false) {
    const query = more && nextUsers ? `?cursor=${encodeURIComponent(nextUsers)}` : '';
    const { ok, data } = await call('GET', `/admin/users${query}`);
    const body = $('admin-users');
    if (!more) body.textContent = '';
    if (!ok) return;
    nextUsers = data.cursor;
    $('admin-more').hidden = !nextUsers;
    for (const user of data.users) {
      const row = document.createElement('tr');
      for (const value of [user.email, user.role, user.active ? 'yes' : 'no', user.plan]) {
        const cell = document.createElement('td');
        cell.textContent = value;
        row.append(cell);
      }
      const actions = document.createElement('td');
      const action = (label, path, body) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = label;
        button.setAttribute('aria-label', `${label}: ${user.email}`);
        button.addEventListener('click', async () => {
          const result = await call('POST', `/admin/users/${user.id}/${path}`, body);
          say(result.ok ? `${label}: done.` : describeError(result.data, 'Refused.'));
          await loadUsers();
        });
        actions.append(button);
      };
      action('Make moderator', 'role', { role: 'MODERATOR' });
      action('Make user', 'role', { role: 'USER' });
      action(user.active ? 'Disable' : 'Enable', user.active ? 'disable' : 'enable', {});
      action('Log out everywhere', 'logout', {});
      action('Pro plan', 'plan', { plan: 'pro' });
      row.append(actions);
      body.append(row);
    }
  }

  $('admin-more').addEventListener('click', () => loadUsers(true));

  // --- Development outbox ----------------------------------------------------------------------
  async function loadOutbox() {
    if (!$('outbox')) return;
    const { ok, data } = await call('GET', '/dev/outbox');
    $('outbox').textContent = '';
    if (!ok) return;
    for (const mail of data.messages.slice().reverse()) {
      const item = document.createElement('li');
      const text = document.createElement('pre');
      text.textContent = `To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}`;
      item.append(text);
      $('outbox').append(item);
    }
  }
  $('refresh-outbox')?.addEventListener('click', loadOutbox);

  followMailLink().then(refreshSession).then(loadOutbox);
})();
