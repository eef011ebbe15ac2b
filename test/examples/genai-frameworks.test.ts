/**
 * The example GenAI service's routes end to end, once per framework (`FRAMEWORK=hono|express|
 * fastify`): each run starts `examples/genai-app/server.ts` as `npm run example` does, on a fresh
 * SQLite file, and drives it over real HTTP. The same answers are expected from every framework.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  passwordGrant,
  postJson,
  registerAndGetToken,
  type Started,
  startGenAiExample,
  stopExamples,
  tempDatabase,
  tokenFromOutbox,
  verifyFromOutbox,
} from './support.js';

const PASSWORD = 'cobalt-marten-93-orchard';

afterAll(stopExamples);

describe.each(['hono', 'express', 'fastify'])('example GenAI service on %s', (framework) => {
  let app: Started & { url: string };
  let url: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const call = (method: string, path: string, who: string | undefined, body?: unknown, headers = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const jsonOf = async <T>(response: Response | Promise<Response>): Promise<T> =>
    (await response).json() as Promise<T>;

  beforeAll(async () => {
    app = await startGenAiExample({
      GATEHOUSE_DB: tempDatabase(),
      FRAMEWORK: framework,
      ADMIN_EMAIL: 'root@example.com',
    });
    url = app.url;
    for (const name of ['root', 'ann', 'bob', 'cid']) {
      tokens[name] = await registerAndGetToken(url, `${name}@example.com`, PASSWORD);
      const me = await jsonOf<{ id?: string; user?: { id: string } }>(call('GET', '/auth/me', name));
      ids[name] = me.user?.id ?? me.id ?? '';
    }
  }, 60_000);

  it('makes ADMIN_EMAIL the first admin once verified, through the public role API', async () => {
    await expect.poll(app.output).toContain(`framework: ${framework}`);
    expect((await call('GET', '/admin/users', 'root')).status).toBe(403);
    await verifyFromOutbox(url, 'root@example.com');
    await expect.poll(() => app.output()).toContain('ADMIN_EMAIL: root@example.com is now ADMIN');
    const listed = await jsonOf<{ users: { email: string; role: string; plan: string }[] }>(
      call('GET', '/admin/users', 'root'),
    );
    expect(listed.users.map((u) => u.email).sort()).toEqual([
      'ann@example.com',
      'bob@example.com',
      'cid@example.com',
      'root@example.com',
    ]);
    expect(listed.users.find((u) => u.email === 'root@example.com')?.role).toBe('ADMIN');
    expect((await call('GET', '/admin/users', 'ann')).status).toBe(403);
  });

  it('streams text as Server-Sent Events, and answers JSON without them', async () => {
    expect((await call('POST', '/generate/text', undefined, { prompt: 'hi' })).status).toBe(401);
    const streamed = await call(
      'POST',
      '/generate/text',
      'ann',
      { prompt: 'Tell me about gates' },
      {
        accept: 'text/event-stream',
      },
    );
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await streamed.text()).trim().split('\n\n');
    expect(events.length).toBeGreaterThan(5);
    expect(events.at(-1)).toBe('event: done\ndata: {"model":"local-small"}');
    const text = events
      .filter((e) => e.startsWith('event: token'))
      .map((e) => (JSON.parse(e.split('data: ')[1] as string) as { text: string }).text)
      .join('');
    const plain = await jsonOf<{ output: string }>(
      call('POST', '/generate/text', 'ann', { prompt: 'Tell me about gates' }),
    );
    expect(text).toBe(plain.output);
    expect(text).toContain('You asked about "Tell me about gates"');
    expect((await call('POST', '/generate/text', 'ann', { prompt: '' })).status).toBe(400);
  });

  it('lets MODERATOR and ADMIN generate images, through the role hierarchy', async () => {
    expect((await call('POST', '/generate/image', 'bob', { prompt: 'a gate' })).status).toBe(403);
    const promoted = await call('POST', `/admin/users/${ids.bob}/role`, 'root', { role: 'MODERATOR' });
    expect(await jsonOf(promoted)).toMatchObject({ from: 'USER', to: 'MODERATOR', changed: true });
    const image = await call('POST', '/generate/image', 'bob', { prompt: 'a gate' });
    expect(image.status).toBe(200);
    expect((await jsonOf<{ image: string }>(image)).image).toMatch(/^data:image\/svg\+xml;base64,/);
    expect((await call('POST', '/generate/image', 'root', { prompt: 'a gate' })).status).toBe(200);
    expect((await call('POST', `/admin/users/${ids.bob}/role`, 'root', { role: 'EMPEROR' })).status).toBe(
      400,
    );
  });

  it('guards audio by scope or role: an API key with generate:audio, or a moderator', async () => {
    expect((await call('POST', '/generate/audio', 'ann', { prompt: 'a chime' })).status).toBe(403);
    const created = await jsonOf<{ key: string }>(
      call('POST', '/auth/api-keys', 'ann', { name: 'audio job', scopes: ['generate:audio'] }),
    );
    const byKey = await call(
      'POST',
      '/generate/audio',
      undefined,
      { prompt: 'a chime' },
      { 'x-api-key': created.key },
    );
    expect(byKey.status).toBe(200);
    expect((await jsonOf<{ audio: string }>(byKey)).audio).toMatch(/^data:audio\/wav;base64,UklGR/);
    expect((await call('POST', '/generate/audio', 'bob', { prompt: 'a chime' })).status).toBe(200);
  });

  it('keeps premium models for paid plans and admins (ABAC)', async () => {
    const premium = { prompt: 'a long answer', model: 'local-large' };
    const refused = await call('POST', '/generate/text', 'cid', premium);
    expect(refused.status).toBe(403);
    expect(await jsonOf(refused)).toMatchObject({ error: 'plan_required' });
    expect((await call('POST', '/generate/text', 'root', premium)).status).toBe(200);
    expect((await call('POST', `/admin/users/${ids.cid}/plan`, 'root', { plan: 'pro' })).status).toBe(200);
    const paid = await jsonOf<{ output: string }>(call('POST', '/generate/text', 'cid', premium));
    expect(paid.output).toContain('premium answer');
    const models = await jsonOf<{ models: { id: string; available: boolean }[] }>(
      call('GET', '/models', 'ann'),
    );
    expect(models.models).toEqual([
      expect.objectContaining({ id: 'local-small', available: true }),
      expect.objectContaining({ id: 'local-large', available: false }),
    ]);
  });

  it('shares conversations directly, through folders and teams; public ones are read by all; admins read all', async () => {
    const create = (who: string, body: object) =>
      jsonOf<{ id: string }>(call('POST', '/conversations', who, body)).then((c) => c.id);
    const listed = async (who: string) =>
      (await jsonOf<{ conversations: { title: string }[] }>(call('GET', '/conversations', who))).conversations
        .map((c) => c.title)
        .sort();
    const reads = async (who: string, id: string) => (await call('GET', `/conversations/${id}`, who)).status;

    const direct = await create('ann', { title: 'Direct' });
    expect(await reads('cid', direct)).toBe(404);
    expect(
      (await call('POST', `/conversations/${direct}/share`, 'cid', { email: 'cid@example.com' })).status,
    ).toBe(404);
    expect(
      (await call('POST', `/conversations/${direct}/share`, 'ann', { email: 'cid@example.com' })).status,
    ).toBe(202);
    expect(await reads('cid', direct)).toBe(200);

    const folder = (await jsonOf<{ id: string }>(call('POST', '/folders', 'ann', { name: 'Research' }))).id;
    const filed = await create('ann', { title: 'Filed', folder_id: folder });
    expect(await reads('bob', filed)).toBe(404);
    const team = (await jsonOf<{ id: string }>(call('POST', '/teams', 'ann', { name: 'Lab' }))).id;
    expect((await call('POST', `/teams/${team}/members`, 'ann', { email: 'bob@example.com' })).status).toBe(
      202,
    );
    expect((await call('POST', `/folders/${folder}/share`, 'ann', { team_id: team })).status).toBe(202);
    expect(await reads('bob', filed)).toBe(200);
    const teamOnly = await create('ann', { title: 'Team notes', team_id: team });
    expect(await reads('bob', teamOnly)).toBe(200);
    expect((await call('POST', '/conversations', 'cid', { title: 'x', team_id: team })).status).toBe(400);

    const open = await create('cid', { title: 'Open' });
    expect((await call('POST', `/conversations/${open}/publish`, 'cid')).status).toBe(204);
    expect(await reads('bob', open)).toBe(200);

    const thread = await jsonOf<{ id: string }>(
      call('POST', `/conversations/${filed}/threads`, 'ann', { title: 'T1' }),
    );
    expect((await call('GET', `/threads/${thread.id}`, 'bob')).status).toBe(200);
    expect((await call('GET', `/threads/${thread.id}`, 'cid')).status).toBe(404);

    // "My conversations" is the evaluator's reverse query.
    expect(await listed('bob')).toEqual(['Filed', 'Open', 'Team notes']);
    expect(await listed('cid')).toEqual(['Direct', 'Open']);
    // Admins read every conversation (RBAC) without appearing in its relationships.
    expect(await reads('root', direct)).toBe(200);
    expect(await listed('root')).toEqual(['Open']);
  });

  it('refuses messages and uploads with personal data unless allowed (ABAC on has_pii)', async () => {
    const id = (await jsonOf<{ id: string }>(call('POST', '/conversations', 'ann', { title: 'Mail' }))).id;
    expect(
      (await call('POST', `/conversations/${id}/messages`, 'ann', { text: 'Lisbon in May?' })).status,
    ).toBe(201);
    const pii = await call('POST', `/conversations/${id}/messages`, 'ann', {
      text: 'call me on +44 20 7946 0958',
    });
    expect(pii.status).toBe(422);
    const upload = (who: string, text: string) =>
      call('POST', '/library/documents', who, { name: 'notes', text });
    expect((await upload('ann', 'Quarterly figures, no names.')).status).toBe(201);
    const refused = await upload('ann', 'Card 4111 1111 1111 1111, contact ann.private@example.org');
    expect(refused.status).toBe(422);
    expect(await jsonOf(refused)).toMatchObject({ error: 'pii_detected', kinds: ['email', 'card'] });
    expect((await upload('root', 'Contact ann.private@example.org')).status).toBe(201);
    expect((await call('POST', `/admin/users/${ids.ann}/pii-uploader`, 'root')).status).toBe(204);
    expect((await upload('ann', 'Contact ann.private@example.org')).status).toBe(201);
  });

  it('takes cookie sessions only with the CSRF header, and records generations in a conversation', async () => {
    const login = await postJson(`${url}/auth/login`, { email: 'ann@example.com', password: PASSWORD });
    expect(login.status).toBe(200);
    expect(await login.json()).not.toHaveProperty('access_token');
    const cookies = login.headers.getSetCookie().map((line) => line.split(';')[0] as string);
    const csrf = cookies.find((c) => c.startsWith('gatehouse-csrf='))?.split('=')[1] as string;
    const withCookies = (headers: Record<string, string>) =>
      fetch(`${url}/conversations`, {
        method: 'POST',
        headers: { cookie: cookies.join('; '), 'content-type': 'application/json', origin: url, ...headers },
        body: JSON.stringify({ title: 'From the page' }),
      });
    expect((await withCookies({})).status).toBe(403);
    expect((await withCookies({ 'x-csrf-token': 'not-the-token' })).status).toBe(403);
    const created = await withCookies({ 'x-csrf-token': csrf });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const generated = await call('POST', '/generate/text', 'ann', {
      prompt: 'Plan a day',
      conversation_id: id,
    });
    expect(generated.status).toBe(200);
    const read = await jsonOf<{ messages: { role: string; text: string }[] }>(
      call('GET', `/conversations/${id}`, 'ann'),
    );
    expect(read.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(read.messages[0]?.text).toBe('Plan a day');
    expect((await call('POST', '/generate/text', 'cid', { prompt: 'x', conversation_id: id })).status).toBe(
      404,
    );
    const tooLarge = await call('POST', '/conversations', 'ann', { title: 'x'.repeat(70_000) });
    expect(tooLarge.status).toBe(413);
    expect(await jsonOf(tooLarge)).toMatchObject({ error: 'payload_too_large' });
  });

  it('resets a password with the mailed link; admins disable, enable and log users out', async () => {
    expect((await postJson(`${url}/auth/password-reset/request`, { email: 'cid@example.com' })).status).toBe(
      202,
    );
    const token = await tokenFromOutbox(url, 'cid@example.com', '/reset-password');
    const newPassword = 'saffron-glacier-17-meadow';
    expect(
      (await postJson(`${url}/auth/password-reset/confirm`, { token, password: newPassword })).status,
    ).toBe(204);
    // The reset revoked every token of the user.
    expect((await call('GET', '/auth/me', 'cid')).status).toBe(401);
    tokens.cid = await passwordGrant(url, 'cid@example.com', newPassword);

    expect((await call('POST', `/admin/users/${ids.cid}/disable`, 'root')).status).toBe(204);
    expect((await call('GET', '/auth/me', 'cid')).status).toBe(401);
    await expect(passwordGrant(url, 'cid@example.com', newPassword)).rejects.toThrow(/400/);
    expect((await call('POST', `/admin/users/${ids.cid}/enable`, 'root')).status).toBe(204);
    tokens.cid = await passwordGrant(url, 'cid@example.com', newPassword);
    expect((await call('GET', '/auth/me', 'cid')).status).toBe(200);
    const forced = await jsonOf<{ revoked_tokens: number }>(
      call('POST', `/admin/users/${ids.cid}/logout`, 'root'),
    );
    expect(forced.revoked_tokens).toBeGreaterThan(0);
    expect((await call('GET', '/auth/me', 'cid')).status).toBe(401);
    expect(
      (await call('POST', '/admin/users/00000000-0000-4000-8000-000000000000/disable', 'root')).status,
    ).toBe(404);
  });
});
