/**
 * The OpenAPI document of the auth routes against the routes themselves, over real HTTP (the Hono
 * adapter on loopback): every route the router answers is documented with its method and every
 * documented operation is answered (both ways, for three configurations); the statuses and bodies
 * of the main cases are the documented ones (bodies checked with a JSON Schema 2020-12
 * validator against the document's own schemas); and the request-body schemas accept and refuse
 * what the routes accept and refuse.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRoutes, type JsonSchema, type OpenApiDocument, openApiDocument } from '../../src/http/index.js';
import { jsonSchemaOf } from '../../src/http/openapi/components.js';
import { mfaVerifyBody, tokenRequestBody } from '../../src/http/request-bodies.js';
import type { GatehouseConfig } from '../../src/index.js';
import {
  ADAPTERS,
  bearer,
  COOKIES_AND_GITHUB,
  GOOD_PASSWORD,
  type Harness,
  passwordGrant,
  postForm,
  postJson,
  type Reply,
  registerUser,
  send,
  startHarness,
  uniqueEmail,
} from './conformance/support.js';

const MOUNT = '/auth';
const [, startHono] = ADAPTERS[0] as (typeof ADAPTERS)[number];

/** Bearer mode with everything on: asymmetric keys (JWKS), scopes, API keys. */
const FULL_BEARER: Partial<GatehouseConfig> = {
  tokens: {
    scopes: ['read', 'write'],
    keys: [{ kid: 'ed-1', alg: 'EdDSA', privateKey: generateKeyPairSync('ed25519').privateKey }],
  },
  apiKeys: { enabled: true, scopes: ['read'] },
};

const CONFIGS: ReadonlyArray<readonly [string, Partial<GatehouseConfig>]> = [
  ['defaults (bearer, HS256, no providers, API keys off)', {}],
  ['bearer with JWKS, scopes and API keys', FULL_BEARER],
  ['cookie mode with a GitHub provider', COOKIES_AND_GITHUB],
];

type Method = 'get' | 'head' | 'post';

/** A JSON Schema validator that resolves the document's `#/components/...` references. */
function schemaChecker(doc: OpenApiDocument): (schema: JsonSchema, value: unknown) => string | null {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  formats.default(ajv);
  return (schema, value) =>
    ajv.validate({ ...schema, components: doc.components }, value) ? null : ajv.errorsText(ajv.errors);
}

function operation(doc: OpenApiDocument, path: string, method: Method) {
  return doc.paths[`${MOUNT}${path}`]?.[method];
}

/** Asserts that a reply's status is documented for the operation and its JSON body fits the schema. */
function expectDocumented(doc: OpenApiDocument, path: string, method: Method, reply: Reply): void {
  const op = operation(doc, path, method);
  expect(op, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
  const documented = op?.responses[String(reply.status)];
  expect(documented, `${method.toUpperCase()} ${path} answered ${reply.status}: ${reply.text}`).toBeDefined();
  const schema = documented?.content?.['application/json']?.schema;
  if (schema && reply.text !== '') {
    expect(schemaChecker(doc)(schema, JSON.parse(reply.text)), `${path} ${reply.status} body`).toBeNull();
  }
}

/** One request of each method the way a client without credentials would send it. */
function probe(h: Harness, path: string, method: string): Promise<Reply> {
  const url = `${h.url}${MOUNT}${path}`;
  if (method === 'POST') return postJson(url, {});
  return send(url, { method });
}

describe.each(CONFIGS)('the document and the router agree: %s', (_name, config) => {
  let h: Harness;
  let doc: OpenApiDocument;
  let endpoints: ReturnType<AuthRoutes['endpoints']>;

  beforeAll(async () => {
    h = await startHarness(startHono, config);
    doc = openApiDocument(h.gh, { mountPath: MOUNT });
    endpoints = new AuthRoutes(h.gh).endpoints();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every route the router answers is documented with its method, with the status it answered', async () => {
    let answered = 0;
    for (const { path, methods } of endpoints) {
      for (const method of methods) {
        const reply = await probe(h, path, method);
        const op = operation(doc, path, method.toLowerCase() as Method);
        if (reply.status === 404 || reply.status === 405) {
          expect(op, `${method} ${path} answers ${reply.status} but is documented`).toBeUndefined();
          continue;
        }
        answered += 1;
        expectDocumented(doc, path, method.toLowerCase() as Method, reply);
      }
    }
    expect(answered).toBeGreaterThan(20);
  });

  it('every documented path and method is answered (not 404 or 405), and other methods get 405', async () => {
    for (const [fullPath, item] of Object.entries(doc.paths)) {
      expect(fullPath.startsWith(`${MOUNT}/`)).toBe(true);
      const path = fullPath.slice(MOUNT.length);
      for (const method of Object.keys(item)) {
        const reply = await probe(h, path, method.toUpperCase());
        expect([404, 405], `${method.toUpperCase()} ${path}: ${reply.status}`).not.toContain(reply.status);
      }
      const unused = await send(`${h.url}${fullPath}`, { method: 'PUT' });
      expect(unused.status).toBe(405);
    }
  });

  it('operation ids are unique and every reference resolves', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op?.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[A-Za-z]+"/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.slice(22, -1));
  });
});

describe('the document follows the configuration', () => {
  it('leaves out what is off and describes cookie mode when it is on', async () => {
    const plain = await startHarness(startHono, {});
    const cookie = await startHarness(startHono, COOKIES_AND_GITHUB);
    try {
      const off = openApiDocument(plain.gh, { mountPath: MOUNT });
      expect(Object.keys(off.paths).filter((p) => /oauth|api-keys|jwks/.test(p))).toEqual([]);
      expect(off.components.securitySchemes).not.toHaveProperty('sessionCookie');
      expect(operation(off, '/me', 'get')?.security).toEqual([{ bearerAuth: [] }]);

      const on = openApiDocument(cookie.gh, { mountPath: MOUNT });
      expect(on.paths).toHaveProperty(['/auth/oauth/github/login', 'get']);
      expect(on.components.securitySchemes.sessionCookie).toMatchObject({
        in: 'cookie',
        name: '__Host-gatehouse-at',
      });
      expect(operation(on, '/logout', 'post')?.security).toEqual([
        { bearerAuth: [] },
        { sessionCookie: [], csrfHeader: [] },
      ]);
      expect(
        operation(on, '/login', 'post')?.responses['200']?.content?.['application/json']?.schema,
      ).toEqual({
        oneOf: [{ $ref: '#/components/schemas/CookieSession' }, { $ref: '#/components/schemas/MfaRequired' }],
      });
    } finally {
      await plain.close();
      await cookie.close();
    }
  });

  it('documents the token endpoint form-encoded first, with the schemas the routes validate with', async () => {
    const plain = await startHarness(startHono, {});
    try {
      const doc = openApiDocument(plain.gh);
      const token = doc.paths['/token']?.post;
      expect(Object.keys(token?.requestBody?.content ?? {})[0]).toBe('application/x-www-form-urlencoded');
      expect(token?.requestBody?.content['application/x-www-form-urlencoded']?.schema).toEqual(
        jsonSchemaOf(tokenRequestBody, 'input'),
      );
      expect(doc.paths['/mfa/verify']?.post?.requestBody?.content['application/json']?.schema).toEqual(
        jsonSchemaOf(mfaVerifyBody, 'input'),
      );
      expect(token?.security).toEqual([{ clientBasic: [] }, {}]);
    } finally {
      await plain.close();
    }
  });
});

describe('the main cases answer as documented (bearer mode)', () => {
  let h: Harness;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    h = await startHarness(startHono, FULL_BEARER);
    doc = openApiDocument(h.gh, { mountPath: MOUNT });
  });
  afterAll(async () => {
    await h?.close();
  });

  const url = (path: string) => `${h.url}${MOUNT}${path}`;

  it('register, login, token grants, refresh, me, API keys, logout, JWKS', async () => {
    const email = uniqueEmail('doc');
    const registered = await postJson(url('/register'), { email, password: GOOD_PASSWORD });
    expect(registered.status).toBe(201);
    expectDocumented(doc, '/register', 'post', registered);

    const login = await postJson(url('/login'), { email, password: GOOD_PASSWORD });
    expect(login.status).toBe(200);
    expectDocumented(doc, '/login', 'post', login);

    const grant = await postForm(url('/token'), {
      grant_type: 'password',
      username: email,
      password: GOOD_PASSWORD,
    });
    expect(grant.status).toBe(200);
    expectDocumented(doc, '/token', 'post', grant);
    const wrong = await postForm(url('/token'), {
      grant_type: 'password',
      username: email,
      password: 'nope',
    });
    expect(wrong.status).toBe(400);
    expectDocumented(doc, '/token', 'post', wrong);

    const rotated = await postForm(url('/token'), {
      grant_type: 'refresh_token',
      refresh_token: grant.body.refresh_token as string,
    });
    expect(rotated.status).toBe(200);
    expectDocumented(doc, '/token', 'post', rotated);
    const refreshed = await postJson(url('/refresh'), { refresh_token: rotated.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expectDocumented(doc, '/refresh', 'post', refreshed);

    const auth = bearer(refreshed.body.access_token as string);
    const me = await send(url('/me'), { headers: auth });
    expect(me.status).toBe(200);
    expectDocumented(doc, '/me', 'get', me);

    const created = await postJson(url('/api-keys'), { name: 'ci', scopes: ['read'] }, auth);
    expect(created.status).toBe(201);
    expectDocumented(doc, '/api-keys', 'post', created);
    const listed = await send(url('/api-keys'), { headers: auth });
    expectDocumented(doc, '/api-keys', 'get', listed);
    const revoked = await postJson(url('/api-keys/revoke'), { id: created.body.id }, auth);
    expect(revoked.status).toBe(204);
    expectDocumented(doc, '/api-keys/revoke', 'post', revoked);

    const jwks = await send(url('/.well-known/jwks.json'));
    expect(jwks.status).toBe(200);
    expectDocumented(doc, '/.well-known/jwks.json', 'get', jwks);

    const out = await send(url('/logout'), { method: 'POST', headers: auth });
    expect(out.status).toBe(204);
    expectDocumented(doc, '/logout', 'post', out);
    const after = await send(url('/me'), { headers: auth });
    expect(after.status).toBe(401);
    expectDocumented(doc, '/me', 'get', after);
  });
});

/** The `error` values with which a route refuses a body (not the credentials or the state behind it). */
const BODY_REFUSALS = new Set([
  'invalid_request',
  'validation',
  'weak_password',
  'unsupported_grant_type',
  'invalid_scope',
  'input_too_large',
]);

interface BodyCase {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly form?: boolean;
  readonly signedIn?: boolean;
  /** Whether the route accepts the body; the document's schema must say the same. */
  readonly accepted: boolean;
}

describe('the request-body schemas accept and refuse what the routes do', () => {
  let h: Harness;
  let doc: OpenApiDocument;
  let token: string;

  beforeAll(async () => {
    h = await startHarness(startHono, FULL_BEARER);
    doc = openApiDocument(h.gh, { mountPath: MOUNT });
    const user = await registerUser(h, 'bodies');
    token = (await passwordGrant(h, user)).access;
  });
  afterAll(async () => {
    await h?.close();
  });

  const CASES: BodyCase[] = [
    { path: '/register', body: { email: 'new.user@example.com', password: GOOD_PASSWORD }, accepted: true },
    { path: '/register', body: { email: 'short@example.com', password: 'short' }, accepted: false },
    { path: '/register', body: { email: 5, password: GOOD_PASSWORD }, accepted: false },
    { path: '/register', body: { password: GOOD_PASSWORD }, accepted: false },
    {
      path: '/login',
      body: { identifier: 'someone@example.com', password: 'wrong-password' },
      accepted: true,
    },
    { path: '/login', body: { identifier: 5, password: GOOD_PASSWORD }, accepted: false },
    { path: '/login', body: { password: GOOD_PASSWORD }, accepted: false },
    {
      path: '/token',
      form: true,
      body: { grant_type: 'password', username: 'a@b.example', password: 'x' },
      accepted: true,
    },
    {
      path: '/token',
      form: true,
      body: { grant_type: 'password', username: 'a@b.example' },
      accepted: false,
    },
    {
      path: '/token',
      form: true,
      body: { grant_type: 'refresh_token', refresh_token: 'unknown' },
      accepted: true,
    },
    { path: '/token', form: true, body: { grant_type: 'refresh_token' }, accepted: false },
    { path: '/token', form: true, body: { grant_type: 'implicit' }, accepted: false },
    { path: '/token', form: true, body: {}, accepted: false },
    { path: '/refresh', body: { refresh_token: 'unknown' }, accepted: true },
    { path: '/refresh', body: {}, accepted: false },
    { path: '/mfa/verify', body: { challenge: 'unknown', code: '123456' }, accepted: true },
    { path: '/mfa/verify', body: { mfa_token: 'unknown', backup_code: 'abcd-efgh' }, accepted: true },
    { path: '/mfa/verify', body: { challenge: 'unknown' }, accepted: false },
    { path: '/mfa/verify', body: { challenge: 'unknown', code: '1', backup_code: '2' }, accepted: false },
    { path: '/mfa/verify', body: { code: '123456' }, accepted: false },
    {
      path: '/password/change',
      signedIn: true,
      body: { current_password: 'wrong-password', new_password: 'copper-heron-77-meadow-path' },
      accepted: true,
    },
    {
      path: '/password/change',
      signedIn: true,
      body: { current_password: GOOD_PASSWORD, new_password: 'short' },
      accepted: false,
    },
    {
      path: '/device/approve',
      signedIn: true,
      body: { user_code: 'BCDF-GHJK', approve: 'maybe' },
      accepted: false,
    },
    {
      path: '/device/approve',
      signedIn: true,
      body: { user_code: 'BCDF-GHJK', approve: true },
      accepted: true,
    },
    { path: '/api-keys', signedIn: true, body: { name: 'ci', expires_in: '3600' }, accepted: true },
    { path: '/api-keys', signedIn: true, body: { name: '' }, accepted: false },
    { path: '/api-keys', signedIn: true, body: { name: 'ci', expires_in: 10 }, accepted: false },
    { path: '/api-keys', signedIn: true, body: { name: 'ci', scopes: ['write'] }, accepted: false },
  ];

  it.each(CASES)('$path $body -> accepted: $accepted', async (c) => {
    const url = `${h.url}${MOUNT}${c.path}`;
    const headers = c.signedIn ? bearer(token) : {};
    const reply = c.form
      ? await postForm(url, c.body as Record<string, string>, headers)
      : await postJson(url, c.body, headers);
    const refused = reply.status === 400 && BODY_REFUSALS.has(reply.body.error as string);
    expect(refused, `route answered ${reply.status} ${reply.text}`).toBe(!c.accepted);
    const type = c.form ? 'application/x-www-form-urlencoded' : 'application/json';
    const schema = operation(doc, c.path, 'post')?.requestBody?.content[type]?.schema;
    expect(schema).toBeDefined();
    const problem = schemaChecker(doc)(schema as JsonSchema, c.body);
    expect(problem === null, `schema said: ${problem ?? 'valid'}`).toBe(c.accepted);
  });
});
