import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenAiEvaluator } from '../../examples/authz-service/model.js';
import { ConfigError } from '../../src/errors.js';
import {
  bearerAuthenticator,
  type CheckRequest,
  createDecisionClient,
  createDecisionService,
  type DecisionService,
  type DecisionServiceOptions,
  type PolicyEvaluator,
} from '../../src/policy/index.js';

const SECRET = 'pep-shared-secret-0123456789abcdefghij';

interface Running {
  url: string;
  close: () => Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function startService(service: DecisionService): Promise<Running> {
  return new Promise((resolve) => {
    const server = serve({ fetch: (req) => service.handle(req), port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => closeServer(server as Server) }),
    );
  });
}

/** A raw node:http server for the failure cases (hangs, 500, garbage). */
function startRaw(handler: Parameters<typeof createServer>[1]): Promise<Running> {
  return new Promise((resolve) => {
    const server = createServer(handler!);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => closeServer(server) });
    });
  });
}

const req = (user: string, action: string, type: string, id: string, extra: Partial<CheckRequest> = {}) =>
  ({
    subject: { type: 'user', id: user },
    action,
    resource: { type, id },
    ...extra,
  }) satisfies CheckRequest;

const chapterRequests: CheckRequest[] = [
  req('ada', 'generate_image', 'app', 'genai'),
  req('mo', 'generate_image', 'app', 'genai'),
  req('alice', 'generate_image', 'app', 'genai'),
  req('mo', 'delete_conversation', 'app', 'genai'),
  req('alice', 'chat', 'app', 'genai'),
  req('stranger', 'chat', 'app', 'genai'),
  req('alice', 'viewer', 'conversation', 'c1'),
  req('alice', 'viewer', 'thread', 't1'),
  req('bob', 'viewer', 'conversation', 'c1'),
  req('bob', 'viewer', 'thread', 't1'),
  req('bob', 'viewer', 'conversation', 'c2'),
  req('anyone', 'viewer', 'thread', 't2'),
  req('alice', 'owner', 'conversation', 'c1'),
  req('alice', 'viewer', 'spaceship', 'x'),
  req('alice', 'fly', 'conversation', 'c1'),
  req('alice', '__proto__', 'conversation', 'c1'),
];

let evaluator: PolicyEvaluator;
let pdp: Running;
let open: Running;
let debug: Running;
const auth = { authorization: `Bearer ${SECRET}` };

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  evaluator = await createGenAiEvaluator();
  pdp = await startService(
    createDecisionService(evaluator, { authenticate: bearerAuthenticator(SECRET), maxEvaluations: 20 }),
  );
  open = await startService(createDecisionService(evaluator, { maxBodyBytes: 1024 }));
  debug = await startService(createDecisionService(evaluator, { exposeReasons: true }));
});

afterAll(async () => {
  await Promise.all([pdp.close(), open.close(), debug.close()]);
});

describe('decision service + client over HTTP', () => {
  it("answers the chapter's requests exactly as the in-process check does", async () => {
    const client = createDecisionClient({ url: pdp.url, headers: auth });
    const local = await evaluator.batchCheck(chapterRequests);
    expect(local.some((r) => r.allowed)).toBe(true);
    expect(local.some((r) => !r.allowed)).toBe(true);
    // Without exposeReasons the codes are granted / not_granted, and invalid_request for a request
    // the engine refuses (an unknown type or relation), as the in-process evaluator answers it.
    const expected = local.map((r) =>
      r.code === 'invalid_request' ? 'invalid_request' : r.allowed ? 'granted' : 'not_granted',
    );
    expect(expected).toContain('invalid_request');
    for (const [i, request] of chapterRequests.entries()) {
      const remote = await client.check(request);
      expect(remote.allowed, JSON.stringify(request)).toBe(local[i]!.allowed);
      expect(remote.code, JSON.stringify(request)).toBe(expected[i]);
    }
    const batch = await client.batchCheck(chapterRequests);
    expect(batch.map((r) => r.allowed)).toEqual(local.map((r) => r.allowed));
    expect(batch.map((r) => r.code)).toEqual(expected);
    expect(await client.batchCheck([])).toEqual([]);
    // Larger batches than the service accepts are split by the client.
    const small = createDecisionClient({ url: pdp.url, headers: auth, maxBatchSize: 5 });
    const many = [...chapterRequests, ...chapterRequests];
    expect((await small.batchCheck(many)).map((r) => r.allowed)).toEqual(
      [...local, ...local].map((r) => r.allowed),
    );
  });

  it('admin-only image generation, and ABAC properties reach the engine', async () => {
    const client = createDecisionClient({ url: pdp.url, headers: auth });
    expect(await client.check(req('ada', 'generate_image', 'app', 'genai'))).toEqual({
      allowed: true,
      code: 'granted',
    });
    expect((await client.check(req('mo', 'generate_image', 'app', 'genai'))).allowed).toBe(false);
    const res = await post(pdp.url, '/access/v1/evaluation', {
      subject: { type: 'user', id: 'ada', properties: { plan: 'pro' } },
      action: { name: 'generate_image', properties: { size: 'large' } },
      resource: { type: 'app', id: 'genai', properties: {} },
      context: { ip: '10.0.0.1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ decision: true });
  });

  it('leaks no internals by default; exposeReasons adds code and a short reason', async () => {
    // `post` needs resource.has_pii: missing, the condition fails closed.
    const body = {
      subject: { type: 'user', id: 'alice' },
      action: { name: 'post' },
      resource: { type: 'conversation', id: 'c1' },
    };
    expect(await (await post(pdp.url, '/access/v1/evaluation', body)).json()).toEqual({ decision: false });
    const exposed = (await (await post(debug.url, '/access/v1/evaluation', body, {})).json()) as {
      decision: boolean;
      context: { code: string; reason: string };
    };
    expect(exposed).toEqual({
      decision: false,
      context: { code: 'condition_input_invalid', reason: expect.stringContaining('contains_pii') },
    });
    expect(exposed.context.reason.length).toBeLessThanOrEqual(200);
    const client = createDecisionClient({ url: debug.url });
    expect(await client.check(req('alice', 'post', 'conversation', 'c1'))).toEqual({
      allowed: false,
      code: 'condition_input_invalid',
    });
    expect(await client.check(req('ada', 'generate_image', 'app', 'genai'))).toEqual({
      allowed: true,
      code: 'granted',
    });
  });

  it('evaluations: defaults, per-item overrides and each semantic', async () => {
    const base = {
      subject: { type: 'user', id: 'alice' },
      action: { name: 'viewer' },
    };
    const items = [
      { resource: { type: 'conversation', id: 'c1' } }, // allow
      { resource: { type: 'conversation', id: 'c2' } }, // deny
      { resource: { type: 'conversation', id: 'pub' } }, // allow
      { subject: { type: 'user', id: 'bob' }, resource: { type: 'conversation', id: 'c2' } }, // allow
    ];
    const run = async (semantic: string | undefined, evaluations: unknown[]) => {
      const res = await post(pdp.url, '/access/v1/evaluations', {
        ...base,
        evaluations,
        ...(semantic ? { options: { evaluations_semantic: semantic } } : {}),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { evaluations: { decision: boolean }[] }).evaluations.map(
        (e) => e.decision,
      );
    };
    expect(await run(undefined, items)).toEqual([true, false, true, true]);
    expect(await run('execute_all', items)).toEqual([true, false, true, true]);
    expect(await run('deny_on_first_deny', items)).toEqual([true, false]);
    expect(await run('deny_on_first_deny', [items[0], items[2]])).toEqual([true, true]);
    expect(await run('permit_on_first_permit', [items[1], items[0], items[2]])).toEqual([false, true]);
    expect(await run('permit_on_first_permit', [items[1]])).toEqual([false]);

    // No evaluations array: answered like the single evaluation.
    const single = await post(pdp.url, '/access/v1/evaluations', {
      ...base,
      resource: { type: 'thread', id: 't1' },
    });
    expect(await single.json()).toEqual({ decision: true });
  });

  it('evaluations: a missing field after defaults is an item error; an unknown semantic or too many items is a 400', async () => {
    const r1 = await post(pdp.url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'alice' },
      evaluations: [{ resource: { type: 'conversation', id: 'c1' } }],
    });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toEqual({
      evaluations: [
        { decision: false, context: { error: { status: 400, message: 'evaluations.0: action required' } } },
      ],
    });
    const r2 = await post(pdp.url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'alice' },
      action: { name: 'viewer' },
      options: { evaluations_semantic: 'permit_all' },
      evaluations: [{ resource: { type: 'conversation', id: 'c1' } }],
    });
    expect(r2.status).toBe(400);
    const many = Array.from({ length: 21 }, () => ({ resource: { type: 'conversation', id: 'c1' } }));
    const r3 = await post(pdp.url, '/access/v1/evaluations', {
      subject: { type: 'user', id: 'alice' },
      action: { name: 'viewer' },
      evaluations: many,
    });
    expect(r3.status).toBe(400);
    expect(((await r3.json()) as { error_description: string }).error_description).toMatch(/at most 20/);
  });

  it('rejects malformed bodies with 400 and an AuthZEN-style error that does not echo input', async () => {
    const good = {
      subject: { type: 'user', id: 'ada' },
      action: { name: 'generate_image' },
      resource: { type: 'app', id: 'genai' },
    };
    const bad: unknown[] = [
      '{"subject":',
      'null',
      '[]',
      '"x"',
      {},
      { ...good, action: 'generate_image' },
      { ...good, subject: { type: 'user', id: 42 } },
      { ...good, subject: { type: 'user', id: '' } },
      { ...good, subject: { type: 'user', id: 'ada', roles: ['ADMIN'] } },
      { ...good, resource: { type: 'app', id: 'genai', properties: ['x'] } },
      { ...good, context: 'ctx' },
      { ...good, extra: true },
      { ...good, subject: { type: 'user', id: 'x'.repeat(600) } },
    ];
    for (const body of bad) {
      const res = await post(pdp.url, '/access/v1/evaluation', body as string);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: string; error_description: string };
      expect(json.error).toBe('invalid_request');
      expect(json).not.toHaveProperty('decision');
      expect(json.error_description).not.toContain('ADMIN');
    }
    const invalidUtf8 = await fetch(`${pdp.url}/access/v1/evaluation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    expect(invalidUtf8.status).toBe(400);
  });

  it('JSON only: a wrong or missing content type is refused (415)', async () => {
    const body = JSON.stringify({
      subject: { type: 'user', id: 'ada' },
      action: { name: 'generate_image' },
      resource: { type: 'app', id: 'genai' },
    });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const res = await fetch(`${pdp.url}/access/v1/evaluation`, {
        method: 'POST',
        headers: { 'content-type': type, ...auth },
        body,
      });
      expect(res.status, type).toBe(415);
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    }
    const ok = await post(pdp.url, '/access/v1/evaluation', body, {
      ...auth,
      'content-type': 'application/json; charset=utf-8',
    });
    expect(await ok.json()).toEqual({ decision: true });
  });

  it('limits the body size (413), with or without a Content-Length', async () => {
    const big = {
      subject: { type: 'user', id: 'ada', properties: { pad: 'x'.repeat(2000) } },
      action: { name: 'generate_image' },
      resource: { type: 'app', id: 'genai' },
    };
    const res = await post(open.url, '/access/v1/evaluation', big, {});
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    const encoded = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < encoded.length; i += 256) controller.enqueue(encoded.slice(i, i + 256));
        controller.close();
      },
    });
    const chunked = await fetch(`${open.url}/access/v1/evaluation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('authenticates callers: 401 with a wrong or missing token, and the client then denies', async () => {
    const body = {
      subject: { type: 'user', id: 'ada' },
      action: { name: 'generate_image' },
      resource: { type: 'app', id: 'genai' },
    };
    const wrongHeaders: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${SECRET}x` },
      { authorization: `Basic ${SECRET}` },
    ];
    for (const headers of wrongHeaders) {
      const res = await post(pdp.url, '/access/v1/evaluation', body, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    const wrong = createDecisionClient({ url: pdp.url, headers: { authorization: 'Bearer nope' } });
    expect(await wrong.check(req('ada', 'generate_image', 'app', 'genai'))).toEqual({
      allowed: false,
      code: 'pdp_unavailable',
    });
    expect(await wrong.batchCheck([req('ada', 'generate_image', 'app', 'genai')])).toEqual([
      { allowed: false, code: 'pdp_unavailable' },
    ]);
    // A throwing hook is a 401 too.
    const throwing = await startService(
      createDecisionService(evaluator, {
        authenticate: () => {
          throw new Error('auth backend down');
        },
      }),
    );
    try {
      expect((await post(throwing.url, '/access/v1/evaluation', body, {})).status).toBe(401);
    } finally {
      await throwing.close();
    }
    expect(() => bearerAuthenticator('short')).toThrow(/32 characters/);
  });

  it('serves the metadata document', async () => {
    const res = await fetch(`${pdp.url}/.well-known/authzen-configuration`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      policy_decision_point: pdp.url,
      access_evaluation_endpoint: `${pdp.url}/access/v1/evaluation`,
      access_evaluations_endpoint: `${pdp.url}/access/v1/evaluations`,
      search_subject_endpoint: `${pdp.url}/access/v1/search/subject`,
      search_resource_endpoint: `${pdp.url}/access/v1/search/resource`,
      search_action_endpoint: `${pdp.url}/access/v1/search/action`,
    });
    const service = createDecisionService(evaluator, { issuer: 'https://pdp.example.com/' });
    const doc = await service.handle(new Request('http://internal/.well-known/authzen-configuration'));
    expect(await doc.json()).toMatchObject({
      policy_decision_point: 'https://pdp.example.com',
      access_evaluation_endpoint: 'https://pdp.example.com/access/v1/evaluation',
    });
  });

  it('action search lists the permissions check allows, not the roles (data relations)', async () => {
    const search = async (user: string) => {
      const res = await post(pdp.url, '/access/v1/search/action', {
        subject: { type: 'user', id: user },
        resource: { type: 'app', id: 'genai' },
      });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as { results: { name: string }[] };
      return results.map((r) => r.name).sort();
    };
    expect(await search('ada')).toEqual(['chat', 'delete_conversation', 'generate_image']);
    expect(await search('mo')).toEqual(['chat', 'delete_conversation']);
    // ada holds the ADMIN role (check says so); a role is data, not an action.
    expect((await evaluator.check(req('ada', 'ADMIN', 'app', 'genai'))).allowed).toBe(true);
    expect(await search('nobody')).toEqual([]);
  });

  type SearchAnswer = {
    results: { type: string; id: string }[];
    page: { next_token: string };
    context: { complete: boolean; excluded?: unknown[] };
  };

  it('resource search pages through what check allows, with a completeness flag', async () => {
    const ids: string[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const res = await post(pdp.url, '/access/v1/search/resource', {
        subject: { type: 'user', id: 'alice' },
        action: { name: 'viewer' },
        resource: { type: 'conversation' },
        page: { limit: 1, ...(token ? { token } : {}) },
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as SearchAnswer;
      expect(answer.context.complete).toBe(true);
      expect(answer.results.length).toBeLessThanOrEqual(1);
      ids.push(...answer.results.map((r) => r.id));
      token = answer.page.next_token;
      if (!token) break;
    }
    expect(ids.sort()).toEqual(['c1', 'pub']);
    for (const id of ['c1', 'c2', 'pub']) {
      expect((await evaluator.check(req('alice', 'viewer', 'conversation', id))).allowed).toBe(
        ids.includes(id),
      );
    }
    const badToken = await post(pdp.url, '/access/v1/search/resource', {
      subject: { type: 'user', id: 'alice' },
      action: { name: 'viewer' },
      resource: { type: 'conversation' },
      page: { token: 'forged' },
    });
    expect(badToken.status).toBe(400);
  });

  it('subject search lists the allowed subjects, the wildcard included', async () => {
    const search = async (id: string) => {
      const res = await post(pdp.url, '/access/v1/search/subject', {
        subject: { type: 'user' },
        action: { name: 'viewer' },
        resource: { type: 'thread', id },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as SearchAnswer;
    };
    const t1 = await search('t1');
    expect(t1.results).toEqual([{ type: 'user', id: 'alice' }]);
    expect(t1.page.next_token).toBe('');
    expect(t1.context.complete).toBe(true);
    expect((await search('t2')).results).toContainEqual({ type: 'user', id: '*' });
    const malformed = await post(pdp.url, '/access/v1/search/subject', {
      subject: { type: 'user', id: 'alice' },
      action: { name: 'viewer' },
      resource: { type: 'thread', id: 't1' },
    });
    expect(malformed.status).toBe(400);
  });

  it('invalid options fail at creation, naming the field', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ maxEvaluations: 0 }, 'maxEvaluations'],
      [{ maxBodyBytes: 1.5 }, 'maxBodyBytes'],
      [{ issuer: 'not a url' }, 'issuer'],
      [{ exposeReasons: 'yes' }, 'exposeReasons'],
      [{ logDecisions: 'verbose' }, 'logDecisions'],
      [{ authenticate: 'secret' }, 'authenticate'],
    ];
    for (const [options, path] of bad) {
      let error: unknown;
      try {
        createDecisionService(evaluator, options as DecisionServiceOptions);
      } catch (e) {
        error = e;
      }
      expect(error, path).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual([path]);
    }
    // A misspelt option is refused rather than ignored.
    expect(() => createDecisionService(evaluator, { exposeReason: true } as DecisionServiceOptions)).toThrow(
      /exposeReason/,
    );
  });

  it('unknown paths are 404 and wrong methods 405, without a decision', async () => {
    const notFound = await post(pdp.url, '/access/v1/evaluate', {});
    expect(notFound.status).toBe(404);
    const get = await fetch(`${pdp.url}/access/v1/evaluation`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).not.toHaveProperty('decision');
  });
});

describe('the decision client fails closed', () => {
  const denied = { allowed: false, code: 'pdp_unavailable' };
  const request = req('ada', 'generate_image', 'app', 'genai');

  it('a PDP that accepts and never answers: deny within the timeout', async () => {
    const hanging = await startRaw(() => {
      // Accept the request, never respond.
    });
    try {
      // Without the client's own deadline these calls would never settle and the test would time out.
      const client = createDecisionClient({ url: hanging.url, timeoutMs: 200 });
      expect(await client.check(request)).toEqual(denied);
      expect(await client.batchCheck([request, request])).toEqual([denied, denied]);
    } finally {
      await hanging.close();
    }
  }, 10_000);

  it('a PDP that sends headers then stalls the body: deny within the timeout', async () => {
    const stalling = await startRaw((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"decision":');
    });
    try {
      const client = createDecisionClient({ url: stalling.url, timeoutMs: 200 });
      expect(await client.check(request)).toEqual(denied);
    } finally {
      await stalling.close();
    }
  }, 10_000);

  it('a 500 (even one claiming decision: true): deny', async () => {
    const failing = await startRaw((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"decision":true}');
    });
    try {
      const client = createDecisionClient({ url: failing.url });
      expect(await client.check(request)).toEqual(denied);
      expect(await client.batchCheck([request])).toEqual([denied]);
    } finally {
      await failing.close();
    }
  });

  it('a closed port: deny', async () => {
    const gone = await startRaw(() => {});
    await gone.close();
    const client = createDecisionClient({ url: gone.url, timeoutMs: 500 });
    expect(await client.check(request)).toEqual(denied);
    expect(await client.batchCheck([request])).toEqual([denied]);
  });

  it('garbage or wrongly shaped JSON: deny', async () => {
    const bodies = [
      'not json at all {',
      '{"decision":"true"}',
      '{"decision":1}',
      '{}',
      'null',
      '{"evaluations":[{"decision":true}]}',
    ];
    let next = 0;
    const garbage = await startRaw((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(bodies[next++ % bodies.length]);
    });
    try {
      const client = createDecisionClient({ url: garbage.url });
      for (const _ of bodies) expect(await client.check(request)).toEqual(denied);
      // batchCheck: a wrong count or a wrong shape denies every request.
      next = 5;
      expect(await client.batchCheck([request, request])).toEqual([denied, denied]);
      next = 0;
      expect(await client.batchCheck([request])).toEqual([denied]);
    } finally {
      await garbage.close();
    }
  });

  it('never throws: a throwing fetch, nonsense input, contextual tuples', async () => {
    const client = createDecisionClient({
      url: 'http://127.0.0.1:1',
      fetch: () => {
        throw new Error('boom');
      },
    });
    expect(await client.check(request)).toEqual(denied);
    expect(await client.check(null as unknown as CheckRequest)).toEqual(denied);
    expect(await client.batchCheck(null as unknown as CheckRequest[])).toEqual([]);
    const withTuples = req('ada', 'viewer', 'conversation', 'c1', {
      contextualTuples: [
        {
          object: { type: 'conversation', id: 'c1' },
          relation: 'owner',
          subject: { type: 'user', id: 'ada' },
        },
      ],
    });
    expect(await client.check(withTuples)).toEqual({ allowed: false, code: 'invalid_request' });
  });
});
