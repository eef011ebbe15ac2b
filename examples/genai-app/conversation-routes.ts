/**
 * Conversations, their threads, folders and teams: the chapter's ReBAC part, with its RBAC and
 * ABAC pieces. Every decision goes through the configured decider (in-process or the decision
 * service); the routes only write tuples and map answers.
 *
 * - A conversation is readable (`viewer`) by its owner, by users it is shared with, by the members
 *   of its team, by whoever may read its folder, and by anyone once public; admins read all
 *   (the role's `read_all_conversations` permission, RBAC).
 * - Another user's private conversation answers 404 exactly like a missing one (`hideForbidden`).
 * - A message with personal data is refused by the model's `post` rule (ABAC on `has_pii`): 422.
 * - `GET /conversations` is the reverse query `listResources`, not a scan of every conversation.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { toResponse } from '../../src/http/index.js';
import type { RelationshipTuple } from '../../src/index.js';
import type { Conversation } from './app-data.js';
import {
  type CoreContext,
  type CoreRequest,
  type CoreRoute,
  invalid,
  json,
  principalOf,
  readFields,
  text,
} from './core.js';
import { containsPii } from './pii.js';

const user = (id: string) => ({ type: 'user', id });
const tuple = (type: string, id: string, relation: string, subject: RelationshipTuple['subject']) => ({
  object: { type, id },
  relation,
  subject,
});

/** The conversation, folder, thread and team routes. */
export function conversationRoutes(ctx: CoreContext): CoreRoute[] {
  const { guards, data, gatehouse } = ctx;
  const relationships = gatehouse.store.relationships;

  /** `undefined` when `action` is allowed on the object; otherwise the refusal (404 with hideForbidden). */
  const refusal = async (request: CoreRequest, action: string, type: string, id: string) => {
    const outcome = await guards.authorize(principalOf(request), action, { type, id });
    return outcome.ok ? undefined : toResponse(outcome.result);
  };
  /** RBAC first (admins read every conversation), then the relationship check. */
  const readRefusal = (request: CoreRequest, id: string) =>
    guards.requirePermission(principalOf(request), ['read_all_conversations']).ok
      ? undefined
      : refusal(request, 'viewer', 'conversation', id);

  const summary = (c: Conversation, userId: string) => ({
    id: c.id,
    title: c.title,
    owned: c.ownerId === userId,
    public: c.isPublic,
    folder_id: c.folderId,
    team_id: c.teamId,
  });
  /** The account with this email, or `undefined`; the answer never says which. */
  const userIdByEmail = async (email: unknown) =>
    typeof email === 'string'
      ? (await gatehouse.store.users.findByEmail(email.trim().toLowerCase()))?.id
      : undefined;

  /** A new named folder or team: its creator gets `relation` on it (a folder's owner, a team's member). */
  const createNamed = async (
    request: CoreRequest,
    type: 'folder' | 'team',
    relation: string,
    into: Map<string, { id: string; name: string; ownerId: string }>,
  ) => {
    const me = principalOf(request).userId;
    const name = text(await readFields(request.request), 'name', 200);
    if (!name) return invalid('name must be a non-empty string');
    const id = randomUUID();
    await relationships.write([tuple(type, id, relation, user(me))]);
    into.set(id, { id, name, ownerId: me });
    data.save();
    return json(201, { id, name });
  };

  return [
    {
      method: 'GET',
      path: '/conversations',
      access: 'signed-in',
      handle: async (request) => {
        const me = principalOf(request).userId;
        const { resources } = await ctx.lister.listResources({
          subject: user(me),
          action: 'viewer',
          type: 'conversation',
          pageSize: 100,
        });
        const listed = resources.map((r) => data.conversations.get(r.id)).filter((c) => c !== undefined);
        return json(200, { conversations: listed.map((c) => summary(c, me)) });
      },
    },
    {
      method: 'POST',
      path: '/conversations',
      access: 'signed-in',
      handle: async (request) => {
        const me = principalOf(request).userId;
        const fields = await readFields(request.request);
        const title = text(fields, 'title', 200);
        if (!title) return invalid('title must be a non-empty string');
        const folderId = typeof fields.folder_id === 'string' ? fields.folder_id : null;
        const teamId = typeof fields.team_id === 'string' ? fields.team_id : null;
        // Filing into a folder needs its ownership, into a team its membership.
        if (folderId && (await refusal(request, 'owner', 'folder', folderId)))
          return invalid('unknown folder');
        if (teamId && (await refusal(request, 'member', 'team', teamId))) return invalid('unknown team');
        const id = randomUUID();
        const tuples = [tuple('conversation', id, 'owner', user(me))];
        if (folderId) tuples.push(tuple('conversation', id, 'folder', { type: 'folder', id: folderId }));
        if (teamId) tuples.push(tuple('conversation', id, 'team', { type: 'team', id: teamId }));
        await relationships.write(tuples);
        const conversation: Conversation = {
          id,
          title,
          ownerId: me,
          folderId,
          teamId,
          isPublic: false,
          messages: [],
          threads: [],
        };
        data.conversations.set(id, conversation);
        data.save();
        return json(201, summary(conversation, me));
      },
    },
    {
      method: 'GET',
      path: '/conversations/:id',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const refused = await readRefusal(request, id);
        if (refused) return refused;
        const found = data.conversations.get(id);
        if (!found) return json(404, { error: 'not_found', message: 'Not found' });
        return json(200, {
          ...summary(found, principalOf(request).userId),
          messages: found.messages,
          threads: found.threads,
        });
      },
    },
    {
      method: 'POST',
      path: '/conversations/:id/publish',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const refused = await refusal(request, 'owner', 'conversation', id);
        if (refused) return refused;
        await relationships.write([tuple('conversation', id, 'viewer', { type: 'user', id: '*' })]);
        const found = data.conversations.get(id);
        if (found) found.isPublic = true;
        data.save();
        return new Response(null, { status: 204 });
      },
    },
    {
      method: 'POST',
      path: '/conversations/:id/share',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const refused = await refusal(request, 'owner', 'conversation', id);
        if (refused) return refused;
        const target = await userIdByEmail((await readFields(request.request)).email);
        if (target) await relationships.write([tuple('conversation', id, 'viewer', user(target))]);
        // The same answer whether or not the address has an account.
        return json(202, { message: 'If that address has an account, it can now read the conversation.' });
      },
    },
    {
      method: 'POST',
      path: '/conversations/:id/messages',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const principal = principalOf(request);
        const refused = await refusal(request, 'viewer', 'conversation', id);
        if (refused) return refused;
        const message = text(await readFields(request.request), 'text');
        if (!message) return invalid('text must be a non-empty string');
        // The policy decides with the message's attribute; the route only maps the answer.
        const post = await guards.authorize(principal, 'post', {
          type: 'conversation',
          id,
          attributes: { has_pii: containsPii(message) },
        });
        if (!post.ok)
          return json(422, { error: 'pii_detected', message: 'The message seems to contain personal data' });
        const found = data.conversations.get(id);
        if (!found) return json(404, { error: 'not_found', message: 'Not found' });
        found.messages.push({ from: principal.userId, role: 'user', text: message });
        data.save();
        return json(201, { id, messages: found.messages.length });
      },
    },
    {
      method: 'POST',
      path: '/conversations/:id/threads',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const refused = await refusal(request, 'viewer', 'conversation', id);
        if (refused) return refused;
        const title = text(await readFields(request.request), 'title', 200);
        if (!title) return invalid('title must be a non-empty string');
        const threadId = randomUUID();
        await relationships.write([tuple('thread', threadId, 'conversation', { type: 'conversation', id })]);
        data.conversations.get(id)?.threads.push({ id: threadId, title });
        data.save();
        return json(201, { id: threadId, title });
      },
    },
    {
      method: 'GET',
      path: '/threads/:id',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const refused = await refusal(request, 'viewer', 'thread', id);
        if (refused) return refused;
        for (const c of data.conversations.values()) {
          const thread = c.threads.find((t) => t.id === id);
          if (thread) return json(200, { ...thread, conversation_id: c.id });
        }
        return json(404, { error: 'not_found', message: 'Not found' });
      },
    },
    {
      method: 'POST',
      path: '/folders',
      access: 'signed-in',
      handle: (request) => createNamed(request, 'folder', 'owner', data.folders),
    },
    {
      method: 'POST',
      path: '/folders/:id/share',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        const refused = await refusal(request, 'owner', 'folder', id);
        if (refused) return refused;
        const fields = await readFields(request.request);
        if (typeof fields.team_id === 'string') {
          if (await refusal(request, 'member', 'team', fields.team_id)) return invalid('unknown team');
          await relationships.write([
            tuple('folder', id, 'shared_with', { type: 'team', id: fields.team_id, relation: 'member' }),
          ]);
          return json(202, { message: 'The team can now read the folder.' });
        }
        const target = await userIdByEmail(fields.email);
        if (target) await relationships.write([tuple('folder', id, 'shared_with', user(target))]);
        return json(202, { message: 'If that address has an account, it can now read the folder.' });
      },
    },
    {
      method: 'POST',
      path: '/teams',
      access: 'signed-in',
      handle: (request) => createNamed(request, 'team', 'member', data.teams),
    },
    {
      method: 'POST',
      path: '/teams/:id/members',
      access: 'signed-in',
      handle: async (request) => {
        const id = request.params.id ?? '';
        // Members add members.
        const refused = await refusal(request, 'member', 'team', id);
        if (refused) return refused;
        const target = await userIdByEmail((await readFields(request.request)).email);
        if (target) await relationships.write([tuple('team', id, 'member', user(target))]);
        return json(202, { message: 'If that address has an account, it is now a member.' });
      },
    },
  ];
}
