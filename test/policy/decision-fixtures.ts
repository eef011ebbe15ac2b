/**
 * Shared by the decision-service tests: a small document model with ABAC conditions, its tuples,
 * a real HTTP server around a decision service, and a JSON POST helper.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { z } from 'zod';
import {
  compileModel,
  type DecisionService,
  defineCondition,
  defineModel,
  MemoryRelationshipStore,
  PolicyEvaluator,
  type PolicyEvaluatorOptions,
  type RelationshipTuple,
} from '../../src/policy/index.js';

/**
 * Documents: `owner` and `viewer` are data relations (directly assignable); `can_read`,
 * `can_write` and `can_delete` are permissions. `can_read` is also granted to a subject whose
 * `role` attribute is `admin`; `can_write` needs the owner in the document's department.
 */
export const docModel = compileModel(
  defineModel(
    (m) => ({
      user: m.type(),
      document: m.type({
        owner: m.relation(['user']),
        viewer: m.relation(['user']).or(m.computed('owner')),
        can_read: m.computed('viewer').or(m.condition('is_admin')),
        can_write: m.computed('owner').and(m.condition('same_department')),
        can_delete: m.computed('owner'),
      }),
    }),
    {
      conditions: {
        is_admin: defineCondition({
          params: z.object({ subject: z.object({ role: z.string() }) }),
          evaluate: ({ subject }) => subject.role === 'admin',
        }),
        same_department: defineCondition({
          params: z.object({
            subject: z.object({ department: z.string() }),
            resource: z.object({ department: z.string() }),
          }),
          evaluate: ({ subject, resource }) => subject.department === resource.department,
        }),
      },
    },
  ),
);

const tuple = (doc: string, relation: string, user: string): RelationshipTuple => ({
  object: { type: 'document', id: doc },
  relation,
  subject: { type: 'user', id: user },
});

/** anne owns d1 and d9, bob views d1. */
export const docTuples: readonly RelationshipTuple[] = [
  tuple('d1', 'owner', 'anne'),
  tuple('d9', 'owner', 'anne'),
  tuple('d1', 'viewer', 'bob'),
];

/** An evaluator over a memory store holding {@link docTuples}. */
export async function docEvaluator(options: Partial<PolicyEvaluatorOptions> = {}): Promise<PolicyEvaluator> {
  const store = new MemoryRelationshipStore({ model: docModel });
  await store.write(docTuples);
  return new PolicyEvaluator({ ...options, model: docModel, store });
}

/** A running service on a loopback port. */
export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `service` over real HTTP on 127.0.0.1. */
export function startService(service: DecisionService): Promise<Running> {
  return new Promise((resolve) => {
    const server = serve({ fetch: (req) => service.handle(req), port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => {
          (server as Server).closeAllConnections();
          return new Promise<void>((done) => (server as Server).close(() => done()));
        },
      }),
    );
  });
}

/** The members of the service's answers that the tests read. */
export interface Answer {
  decision?: boolean;
  context?: {
    code?: string;
    reason?: string;
    error?: { status: number; message: string };
    complete?: boolean;
    incomplete_reason?: string;
  };
  evaluations?: Answer[];
  results?: { type?: string; id?: string; name?: string }[];
  page?: { next_token: string };
  error?: string;
  error_description?: string;
  code?: string;
  parameters?: string[];
}

/** POSTs `body` as JSON; returns the status and the parsed answer. */
export async function postJson(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}
