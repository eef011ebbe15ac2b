/**
 * The policy information point (PIP) of the decision service: attributes of a subject or a
 * resource that the caller did not send (or must not be trusted to send), resolved before
 * evaluation. See {@link PolicyInformationPoint}.
 *
 * Precedence (the safe reading of the AuthZEN 1.0 trust model, where the PDP decides on the
 * attributes it is given): for a type the PIP covers, the PIP is the source of truth. Its answer
 * replaces the request's `properties` entirely, except for the property names listed in
 * `requestProperties[type]`, which fill in names the PIP did not return. So a caller-supplied
 * `properties.role` can never grant access on a covered type, not even when the PIP returns no
 * `role` at all (the attribute is then absent and a condition that needs it fails closed).
 *
 * @module
 */

import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { isSafeName } from './model.js';

/** Attributes of one entity, as the engine reads them in conditions. */
export type Attributes = Readonly<Record<string, unknown>>;

/** What the PIP is asked: one entity, with the request it first appeared in. */
export interface AttributeLookup {
  /** Entity type, one of {@link PolicyInformationPoint.types}. */
  readonly type: string;
  /** Entity id. */
  readonly id: string;
  /**
   * The action of the evaluation the entity first appeared in (absent in an action search).
   * Informational: the answer is cached per entity for the whole HTTP request, so it must not
   * depend on the action.
   */
  readonly action?: string;
  /** The request context of that evaluation (e.g. a tenant), with the same caveat. */
  readonly context: Attributes;
}

/**
 * A policy information point for {@link createDecisionService}'s `pip` option.
 *
 * - Called at most once per entity (`type` + `id`) per HTTP request: one `/evaluations` batch or
 *   one search resolves each entity once, however often it appears (the distinct entities of a
 *   batch are resolved in parallel: at most two per evaluation, bounded by `maxEvaluations`). Nothing is cached across
 *   requests (a cache there would delay revocation; add one in `resolve` if you accept that).
 * - A throw, a rejection, an answer that is not a plain object, or no answer within `timeoutMs`
 *   is a fail-closed deny with the code `pip_error` for every evaluation naming the entity
 *   (OWASP ASVS 5.0 16.5.3), reported by the service's decision log (`events`); never a 500.
 * - Search endpoints resolve the entity named in the request (the subject of a resource search,
 *   the resource of a subject search, both in an action search), not the candidates found.
 */
export interface PolicyInformationPoint {
  /** Entity types the PIP is the source of truth for. Other types keep the request's `properties`. */
  readonly types: readonly string[];
  /**
   * The attributes of one entity of a covered type. `null`/`undefined` means none are known (an
   * unknown id): the entity then has only its allowed request properties.
   */
  readonly resolve: (
    lookup: AttributeLookup,
  ) => Promise<Attributes | null | undefined> | Attributes | null | undefined;
  /**
   * Request properties still accepted for a covered type, by type, e.g. `{ message: ['has_pii'] }`
   * for a value only the PEP knows. They fill in names the PIP did not return; a name the PIP
   * returned keeps the PIP's value. Default: none (every request property of a covered type is ignored).
   */
  readonly requestProperties?: Readonly<Record<string, readonly string[]>>;
  /** Deadline of one `resolve` call in ms; a later answer is a `pip_error` deny. Default 1000. */
  readonly timeoutMs?: number;
}

const name = z.string().refine(isSafeName, 'must be a type or attribute name of the model');
const pipSchema = z.strictObject({
  types: z.array(name).min(1),
  resolve: z.custom<PolicyInformationPoint['resolve']>((v) => typeof v === 'function', 'must be a function'),
  requestProperties: z.record(name, z.array(z.string().min(1).max(256))).optional(),
  timeoutMs: z.number().int().min(1).max(60_000).default(1000),
});

/** A validated PIP. */
export type ResolvedPip = z.output<typeof pipSchema>;

/** Validates the `pip` option; throws {@link ConfigError} naming the field (`pip.types.0`, ...). */
export function parsePip(value: unknown): ResolvedPip {
  const r = pipSchema.safeParse(value);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => ({ path: ['pip', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  for (const type of Object.keys(r.data.requestProperties ?? {})) {
    if (!r.data.types.includes(type)) {
      throw new ConfigError([{ path: `pip.requestProperties.${type}`, message: 'type is not in pip.types' }]);
    }
  }
  return r.data;
}

/** The marker of an entity the PIP could not resolve. */
export const PIP_FAILED = Symbol('pip_failed');

/** An entity as the HTTP layer has it: type, id and the request's properties. */
export interface RequestEntity {
  readonly type: string;
  readonly id: string;
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
}

type Outcome = Attributes | typeof PIP_FAILED;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The attribute resolution of one HTTP request: the per-request cache in front of the PIP, and
 * the merge with the request's properties. Without a PIP it returns the request's properties.
 */
export class AttributeResolution {
  private readonly cache = new Map<string, Promise<Outcome>>();

  constructor(private readonly pip: ResolvedPip | undefined) {}

  /** The attributes `entity` is evaluated with, or {@link PIP_FAILED}. Never throws. */
  async attributes(entity: RequestEntity, action: string | undefined, context: Attributes): Promise<Outcome> {
    const sent = entity.properties ?? {};
    if (!this.pip?.types.includes(entity.type)) return sent;
    const key = `${entity.type}\u0000${entity.id}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.lookup({ type: entity.type, id: entity.id, ...(action ? { action } : {}), context });
      this.cache.set(key, pending);
    }
    const resolved = await pending;
    if (resolved === PIP_FAILED) return PIP_FAILED;
    // No prototype: a name such as `__proto__` is an ordinary key here.
    const merged: Record<string, unknown> = Object.create(null);
    for (const allowed of this.pip.requestProperties?.[entity.type] ?? []) {
      if (Object.hasOwn(sent, allowed)) merged[allowed] = sent[allowed];
    }
    // The PIP's values win over the allowed request properties.
    for (const [k, v] of Object.entries(resolved)) merged[k] = v;
    return merged;
  }

  private async lookup(lookup: AttributeLookup): Promise<Outcome> {
    const pip = this.pip!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<typeof PIP_FAILED>((resolve) => {
      timer = setTimeout(() => resolve(PIP_FAILED), pip.timeoutMs);
    });
    const attempt = (async (): Promise<Outcome> => {
      const answer = await pip.resolve(lookup);
      if (answer === null || answer === undefined) return {};
      return isPlainObject(answer) ? answer : PIP_FAILED;
    })().catch((): Outcome => PIP_FAILED);
    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
