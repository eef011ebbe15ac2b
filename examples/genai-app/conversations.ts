/**
 * The example's conversations: the chapter's ReBAC and ABAC routes. Every access goes through the
 * configured policy decider — the in-process `PolicyEvaluator` or the decision service, the routes
 * cannot tell which (see `policy.ts`).
 *
 * - `POST /conversations` `{ title }`: creates a conversation owned by the caller (a tuple
 *   `conversation:<id>#owner@user:<caller>` in the relationship store).
 * - `GET /conversations/:id`: needs `viewer` (owner, team member, or public). Another user's private
 *   conversation answers 404 exactly like a missing one (`hideForbidden`, AZ-05).
 * - `POST /conversations/:id/publish`: needs `owner`; makes it public (`viewer@user:*`).
 * - `POST /conversations/:id/messages` `{ text }`: needs `viewer`, then `post`, which the model
 *   denies for a message with personal data (`has_pii`, found here by a naive detector): 422.
 *
 * Titles and messages live in this process's memory (a stand-in for the app's own tables).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { GatehouseEnv, gatehouseHono } from '../../adapters/hono/index.js';
import type { RelationshipStore } from '../../src/index.js';

interface Conversation {
  readonly title: string;
  readonly messages: { readonly from: string; readonly text: string }[];
}

const MAX_TEXT = 2000;
// Naive stand-in for a PII classifier: e-mail addresses and long digit runs (phone, card, id numbers).
const PII = [/[^\s@]+@[^\s@]+\.[^\s@]+/, /(?:\d[ -]?){9,}/];

/** `true` when the text looks like it carries personal data. */
export function containsPii(text: string): boolean {
  return PII.some((pattern) => pattern.test(text));
}

async function readText(request: Request, field: string): Promise<string | undefined> {
  const body = (await request.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const value = body?.[field];
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_TEXT ? value : undefined;
}

/** The conversation routes, guarded by `gh` and writing tuples to `relationships`. */
export function conversationRoutes(
  gh: ReturnType<typeof gatehouseHono>,
  relationships: RelationshipStore,
): Hono<GatehouseEnv> {
  const conversations = new Map<string, Conversation>();
  const app = new Hono<GatehouseEnv>();
  const conversation = (id: string) => ({ type: 'conversation', id });
  const fromPath = (c: { req: { param: (name: string) => string | undefined } }) =>
    conversation(c.req.param('id') ?? '');

  app.post('/', gh.authenticate(), async (c) => {
    const title = await readText(c.req.raw, 'title');
    if (!title) return c.json({ error: 'invalid_request', message: 'title must be a non-empty string' }, 400);
    const id = randomUUID();
    const owner = c.get('auth')!.userId;
    await relationships.write([
      { object: conversation(id), relation: 'owner', subject: { type: 'user', id: owner } },
    ]);
    conversations.set(id, { title, messages: [] });
    return c.json({ id, title }, 201);
  });

  app.get('/:id', gh.authenticate(), gh.authorize('viewer', fromPath), (c) => {
    const id = c.req.param('id');
    const found = conversations.get(id);
    if (!found) return c.json({ error: 'not_found', message: 'Not found' }, 404);
    return c.json({ id, title: found.title, messages: found.messages });
  });

  app.post('/:id/publish', gh.authenticate(), gh.authorize('owner', fromPath), async (c) => {
    await relationships.write([
      { object: conversation(c.req.param('id')), relation: 'viewer', subject: { type: 'user', id: '*' } },
    ]);
    return c.body(null, 204);
  });

  app.post('/:id/messages', gh.authenticate(), gh.authorize('viewer', fromPath), async (c) => {
    const id = c.req.param('id');
    const text = await readText(c.req.raw, 'text');
    if (!text) return c.json({ error: 'invalid_request', message: 'text must be a non-empty string' }, 400);
    const principal = c.get('auth')!;
    // The policy decides with the message's attribute; the route only maps the answer.
    const outcome = await gh.guards.authorize(principal, 'post', {
      ...conversation(id),
      attributes: { has_pii: containsPii(text) },
    });
    if (!outcome.ok) {
      return c.json({ error: 'pii_detected', message: 'The message seems to contain personal data' }, 422);
    }
    const found = conversations.get(id);
    if (!found) return c.json({ error: 'not_found', message: 'Not found' }, 404);
    found.messages.push({ from: principal.userId, text });
    return c.json({ id, messages: found.messages.length }, 201);
  });

  return app;
}
