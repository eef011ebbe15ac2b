/**
 * `GET /openapi.json`: the service's API as one OpenAPI 3.1 document. gatehouse describes its auth
 * routes (`openApiDocument` from `gatehouse/http`, mounted at `/auth`, shaped by this instance's
 * configuration: cookie mode, the configured providers, API keys); the app adds a short entry for
 * each of its own JSON routes from the same route table the frameworks mount, with the access
 * each route's guard demands. The pages and scripts (`/`, `/app.js`, ...) are left out.
 *
 * @module
 */
import { openApiDocument } from '../../src/http/index.js';
import type { Gatehouse } from '../../src/index.js';
import { type CoreRoute, json } from './core.js';

/** What each of the app's routes does, by `METHOD path`. */
const SUMMARIES: Readonly<Record<string, string>> = {
  'GET /health': 'Liveness check',
  'GET /dev/outbox': 'DEVELOPMENT ONLY: the mails the development mailer kept',
  'GET /models': 'The text models and whether your plan may use each',
  'POST /generate/text':
    'Generate text (Server-Sent Events with Accept: text/event-stream); premium models need a paid plan',
  'POST /generate/image': 'Generate an image (MODERATOR and ADMIN)',
  'POST /generate/audio': 'Generate audio (the generate:audio scope, or MODERATOR)',
  'GET /conversations': 'Your conversations, and those shared with you (the reverse query)',
  'POST /conversations': 'Start a conversation, optionally in one of your folders or teams',
  'GET /conversations/{id}': 'Read a conversation (404 when you may not)',
  'POST /conversations/{id}/publish': 'Make your conversation readable by anyone',
  'POST /conversations/{id}/share': 'Share your conversation with another account',
  'POST /conversations/{id}/messages': 'Post a message (refused when it carries personal data)',
  'POST /conversations/{id}/threads': 'Start a thread in a conversation',
  'GET /threads/{id}': 'Read a thread',
  'POST /folders': 'Create a folder',
  'POST /folders/{id}/share': 'Share your folder, and so what is filed in it, with an account or a team',
  'POST /teams': 'Create a team',
  'POST /teams/{id}/members': 'Add a member to your team',
  'POST /library/documents': 'Upload a document for retrieval (personal data only if allowed)',
  'GET /library/documents': 'Your uploaded documents',
  'GET /admin/users': 'ADMIN: the accounts, a page at a time (limit, cursor)',
  'POST /admin/users/{id}/role': "ADMIN: change a user's role",
  'POST /admin/users/{id}/disable': 'ADMIN: disable an account',
  'POST /admin/users/{id}/enable': 'ADMIN: enable an account',
  'POST /admin/users/{id}/logout': 'ADMIN: end every session of a user',
  'POST /admin/users/{id}/plan': "ADMIN: set a user's plan",
  'POST /admin/users/{id}/pii-uploader': 'ADMIN: allow a user to upload documents with personal data',
};

/** Routes that serve pages or scripts, not JSON. */
const PAGES = new Set([
  '/',
  '/app.js',
  '/device',
  '/device.js',
  '/verify-email',
  '/reset-password',
  '/confirm-email-change',
]);

/** One operation of the app's own, from its route. */
function operation(route: CoreRoute, path: string, cookieMode: boolean): Record<string, unknown> {
  const key = `${route.method} ${path}`;
  const parameters = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const responses: Record<string, { description: string }> = { '200': { description: 'Success' } };
  const signedIn = route.access !== 'public';
  if (route.method !== 'GET') responses['400'] = { description: 'Invalid request' };
  if (signedIn) responses['401'] = { description: 'Not signed in' };
  if (typeof route.access === 'object')
    responses['403'] = { description: `Needs the ${route.access.role} role` };
  if (parameters.length > 0) responses['404'] = { description: 'Not found, or not yours to see' };
  const unsafe = route.method !== 'GET';
  const security = !signedIn
    ? []
    : [
        { bearerAuth: [] },
        ...(cookieMode ? [unsafe ? { sessionCookie: [], csrfHeader: [] } : { sessionCookie: [] }] : []),
      ];
  return {
    operationId: key
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/_$/, '')
      .toLowerCase(),
    summary: SUMMARIES[key] ?? key,
    tags: ['app'],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(unsafe
      ? { requestBody: { required: false, content: { 'application/json': { schema: { type: 'object' } } } } }
      : {}),
    responses,
    security,
  };
}

/** The whole document: gatehouse's auth routes under `/auth` and the app's routes. */
export function exampleOpenApiDocument(
  gatehouse: Gatehouse,
  routes: readonly CoreRoute[],
): Record<string, unknown> {
  const auth = openApiDocument(gatehouse, {
    mountPath: '/auth',
    title: 'GenAI example service',
    version: '1.0.0',
  });
  const cookieMode = gatehouse.config.http.cookies.enabled;
  const paths: Record<string, Record<string, unknown>> = { ...auth.paths };
  for (const route of routes) {
    if (PAGES.has(route.path)) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, path, cookieMode) };
  }
  return {
    ...auth,
    info: {
      ...auth.info,
      description:
        "The example GenAI service: gatehouse's auth routes under /auth, and the app's own routes.",
    },
    tags: [
      ...auth.tags,
      { name: 'app', description: "The example's generation, conversation, library and admin routes." },
    ],
    paths,
  };
}

/** The `GET /openapi.json` route over `routes` (the document is built once, on first request). */
export function openApiRoute(gatehouse: Gatehouse, routes: readonly CoreRoute[]): CoreRoute {
  let document: Record<string, unknown> | undefined;
  return {
    method: 'GET',
    path: '/openapi.json',
    access: 'public',
    handle: () => {
      document ??= exampleOpenApiDocument(gatehouse, routes);
      return json(200, document);
    },
  };
}
