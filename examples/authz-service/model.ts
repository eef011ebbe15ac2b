/**
 * The chapter's small GenAI demo model, which the decision service serves when it runs on its own
 * (no `AUTHZ_DB`): users and teams, conversations (owned, shared with a team, or public) and their
 * threads, global roles held as tuples (`app:genai#ADMIN@user:ada`) where only ADMIN may generate
 * images, and the hybrid `post` permission: who may view a conversation may post to it, but never
 * a message carrying personal data (ABAC on the message's `has_pii`). Deciding for the GenAI app
 * (with `AUTHZ_DB`), the service uses the app's own model instead (`../genai-app/access-model.ts`).
 */
import { z } from 'zod';
import {
  defineCondition,
  defineModel,
  defineRoles,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type RelationshipTuple,
  rolesTypeDefinition,
  validateModel,
} from '../../src/index.js';

export const roles = defineRoles({
  USER: { permissions: ['chat'] },
  ADMIN: { inherits: ['USER'], permissions: ['generate_image', 'delete_conversation'] },
  MODERATOR: { inherits: ['USER', { role: 'ADMIN', only: ['delete_conversation'] }] },
});

const rebac = defineModel(
  (m) => ({
    user: m.type(),
    team: m.type({ member: m.relation(['user', 'team#member']) }),
    conversation: m.type({
      team: m.relation(['team']),
      owner: m.relation(['user']),
      viewer: m.relation(['user', 'user:*']).or(m.computed('owner')).or(m.from('team', 'member')),
      post: m.computed('viewer').butNot(m.condition('contains_pii')),
    }),
    thread: m.type({
      conversation: m.relation(['conversation']),
      viewer: m.from('conversation', 'viewer'),
    }),
  }),
  {
    conditions: {
      // A missing or non-boolean has_pii fails the schema: the post is denied (fail closed).
      contains_pii: defineCondition({
        params: z.object({ resource: z.object({ has_pii: z.boolean() }) }),
        evaluate: ({ resource }) => resource.has_pii,
      }),
    },
  },
);

/** The model: the ReBAC types plus `app`, the roles as a type (`app:genai#ADMIN@user:ada`). */
export const genAiModel = validateModel({
  ...rebac,
  types: { ...rebac.types, app: rolesTypeDefinition(roles) },
});

const t = (object: string, relation: string, subject: string): RelationshipTuple => {
  const [ot, oid] = object.split(':') as [string, string];
  const [st, rest] = subject.split(':') as [string, string];
  const [sid, srel] = rest.split('#') as [string, string | undefined];
  return {
    object: { type: ot, id: oid },
    relation,
    subject: srel ? { type: st, id: sid, relation: srel } : { type: st, id: sid },
  };
};

/** Demo data: ada is ADMIN, mo MODERATOR, alice and bob USERs; alice's team shares c1; `pub` is public. */
export const demoTuples: readonly RelationshipTuple[] = [
  t('app:genai', 'ADMIN', 'user:ada'),
  t('app:genai', 'MODERATOR', 'user:mo'),
  t('app:genai', 'USER', 'user:alice'),
  t('app:genai', 'USER', 'user:bob'),
  t('team:research', 'member', 'user:alice'),
  t('conversation:c1', 'team', 'team:research'),
  t('conversation:c2', 'owner', 'user:bob'),
  t('conversation:pub', 'viewer', 'user:*'),
  t('thread:t1', 'conversation', 'conversation:c1'),
  t('thread:t2', 'conversation', 'conversation:pub'),
];

/** An evaluator over an in-memory store holding {@link demoTuples}. */
export async function createGenAiEvaluator(): Promise<PolicyEvaluator> {
  const store = new MemoryRelationshipStore({ model: genAiModel });
  await store.write(demoTuples);
  return new PolicyEvaluator({ model: genAiModel, store });
}
