/**
 * Who may do what in the example: the source chapter's hybrid of RBAC, ReBAC and ABAC in one
 * policy model.
 *
 * - RBAC: the roles of users (`USER`, `MODERATOR`, `ADMIN`) with inheritance; `ADMIN` inherits
 *   `MODERATOR`, so `requireRole('MODERATOR')` admits both (the image route).
 * - ReBAC: teams, folders and conversations. A conversation is readable by its owner, by those it
 *   is shared with, by the members of its team, by whoever may read its folder, and by anyone once
 *   public (`viewer@user:*`). "My conversations" is the reverse query `listResources`.
 * - ABAC: a message or an uploaded document with personal data (`has_pii`) is refused unless the
 *   uploader was allowed to upload it; premium models need a paid plan or the ADMIN role.
 *
 * The decision service of `examples/authz-service` loads this same model when it decides for the
 * app (`AUTHZ_MODE=service`), so both deciders answer every route alike.
 *
 * @module
 */
import { z } from 'zod';
import {
  defineCondition,
  defineModel,
  defineRoles,
  PolicyEvaluator,
  type PolicyEvaluatorOptions,
  type RelationshipStore,
  validateModel,
} from '../../src/index.js';

/** The roles of users; `ADMIN` inherits everything a `MODERATOR` may do. */
export const appRoles = defineRoles({
  USER: { permissions: ['chat', 'upload'] },
  MODERATOR: { inherits: ['USER'], permissions: ['generate_image', 'moderate'] },
  ADMIN: { inherits: ['MODERATOR'], permissions: ['manage_users', 'read_all_conversations'] },
});

/** Plans of the app's users; every plan but `free` is paid. */
export const PLANS = ['free', 'pro', 'team'] as const;
export type Plan = (typeof PLANS)[number];

const conditions = {
  // A missing or non-boolean has_pii fails the schema: the post is denied (fail closed).
  contains_pii: defineCondition({
    params: z.object({ resource: z.object({ has_pii: z.boolean() }) }),
    evaluate: ({ resource }) => resource.has_pii,
  }),
  clean_document: defineCondition({
    params: z.object({ resource: z.object({ has_pii: z.boolean() }) }),
    evaluate: ({ resource }) => !resource.has_pii,
  }),
  // Premium models: a paid plan (from the request context) or the ADMIN role (a subject attribute).
  may_use_model: defineCondition({
    params: z.object({
      subject: z.object({ role: z.string() }),
      resource: z.object({ tier: z.enum(['standard', 'premium']) }),
      context: z.object({ plan: z.enum(PLANS) }),
    }),
    evaluate: ({ subject, resource, context }) =>
      resource.tier === 'standard' || context.plan !== 'free' || subject.role === 'ADMIN',
  }),
  is_admin: defineCondition({
    params: z.object({ subject: z.object({ role: z.string() }) }),
    evaluate: ({ subject }) => subject.role === 'ADMIN',
  }),
};

/** The relationship model of the app. */
export const appModel = validateModel(
  defineModel(
    (m) => ({
      user: m.type(),
      team: m.type({ member: m.relation(['user', 'team#member']) }),
      folder: m.type({
        owner: m.relation(['user']),
        shared_with: m.relation(['user', 'team#member']),
        viewer: m.computed('shared_with').or(m.computed('owner')),
      }),
      conversation: m.type({
        folder: m.relation(['folder']),
        team: m.relation(['team']),
        owner: m.relation(['user']),
        viewer: m
          .relation(['user', 'user:*', 'team#member'])
          .or(m.computed('owner'))
          .or(m.from('team', 'member'))
          .or(m.from('folder', 'viewer')),
        post: m.computed('viewer').butNot(m.condition('contains_pii')),
      }),
      thread: m.type({
        conversation: m.relation(['conversation']),
        viewer: m.from('conversation', 'viewer'),
      }),
      // The retrieval library: clean documents from anyone; documents with personal data only from
      // those granted `pii_uploader` (a tuple an admin writes) and from admins.
      library: m.type({
        pii_uploader: m.relation(['user']),
        upload: m.condition('clean_document').or(m.computed('pii_uploader')).or(m.condition('is_admin')),
      }),
      model: m.type({ use: m.condition('may_use_model') }),
    }),
    { conditions },
  ),
);

/** An evaluator of {@link appModel} over `store` (the relationships of the app's SQLite file). */
export function createAppEvaluator(store: RelationshipStore, options: Partial<PolicyEvaluatorOptions> = {}) {
  return new PolicyEvaluator({ ...options, model: appModel, store });
}
