/**
 * The decision log of the {@link PolicyEvaluator}: a hook that sees every decision, and the
 * `authz.decision` security event.
 *
 * Both are off by default. With `events` (the `SecurityEvents` bus of `createGatehouse`, or your
 * own), every fail-closed decision — a store failure, a condition with a missing or wrongly typed
 * attribute, a depth or budget limit, a malformed request, a policy information point the decision
 * service could not ask (`pip_error`) — is reported (OWASP ASVS 5.0 16.5.3: deny, and log it);
 * `logDecisions: 'denied'` adds every deny, `'all'` every decision. The event carries the subject,
 * action and resource as `type:id` strings, the outcome, the stable decision code and the latency;
 * never attributes, context or tuples (they may hold personal data).
 *
 * @module
 */

import type { SecurityEvents } from '../events.js';
import type { CheckRequest, CheckResult } from './evaluator.js';

/** A decision as given to the `onDecision` hook. */
export interface DecisionEvent {
  readonly request: CheckRequest;
  readonly result: CheckResult;
  readonly durationMs: number;
}

/** Which decisions become `authz.decision` events. */
export type DecisionLogLevel = 'off' | 'errors' | 'denied' | 'all';

/** The decision-log part of the evaluator's options. */
export interface DecisionLogOptions extends DecisionEventOptions {
  /** Decision log hook (off by default): every decision with its latency. Errors it throws are swallowed. */
  readonly onDecision?: (event: DecisionEvent) => void;
}

/** Decision codes that are not fail-closed errors: a decision taken on the data. */
const DECIDED: ReadonlySet<string> = new Set(['granted', 'not_granted', 'no_matching_rule', 'deny_rule']);

/**
 * `true` when a decision code is a deny because evaluation failed (OWASP ASVS 5.0 16.5.3) — a store failure, a
 * condition input, a limit, a malformed request, a decision service or a PIP that could not be asked —
 * and not because the data says no.
 */
export function isFailClosed(code: string): boolean {
  return !DECIDED.has(code);
}

/** The event part of the decision log: which decisions to report, and where. */
export interface DecisionEventOptions {
  /** Where `authz.decision` events go. Without it, no event is emitted. */
  readonly events?: SecurityEvents;
  /** With `events`: `errors` (default: fail-closed decisions only), `denied`, `all` or `off`. */
  readonly logDecisions?: DecisionLogLevel;
}

const MAX_FIELD = 256;
const describe = (entity: unknown): string => {
  if (typeof entity !== 'object' || entity === null) return '(invalid)';
  const { type, id, relation } = entity as { type?: unknown; id?: unknown; relation?: unknown };
  // A userset subject is logged as itself (`group:eng#member`), never as the object `group:eng`.
  const set = relation === undefined ? '' : `#${String(relation)}`;
  return `${String(type)}:${String(id)}${set}`.slice(0, MAX_FIELD);
};

/** Emits `authz.decision` events as configured. Used by the evaluator, the decision client and the decision service. */
export class DecisionEvents {
  /** `true` when some decision may be reported: only then is a decision timed. */
  readonly enabled: boolean;
  private readonly events: SecurityEvents | undefined;
  private readonly level: DecisionLogLevel;

  constructor(options: DecisionEventOptions) {
    this.events = options.events;
    this.level = options.events ? (options.logDecisions ?? 'errors') : 'off';
    this.enabled = this.level !== 'off';
  }

  /** Reports one decision if the level asks for it. Never throws. */
  record(request: CheckRequest, allowed: boolean, code: string, durationMs: number): void {
    if (!this.events || this.level === 'off') return;
    const failClosed = isFailClosed(code);
    if (this.level === 'errors' && !failClosed) return;
    if (this.level === 'denied' && allowed) return;
    const r: Partial<CheckRequest> = typeof request === 'object' && request !== null ? request : {};
    try {
      this.events.emit('authz.decision', undefined, new Date(), {
        subject: describe(r.subject),
        action: String(r.action).slice(0, MAX_FIELD),
        resource: describe(r.resource),
        allowed,
        code,
        failClosed,
        durationMs,
      });
    } catch {
      // The bus isolates its listeners already; nothing here may change the decision.
    }
  }
}

/** Records decisions to the hook and the security events, as configured. Internal to the evaluator. */
export class DecisionLogger {
  /** `true` when anything is listening: only then is a decision timed. */
  readonly enabled: boolean;
  private readonly onDecision: DecisionLogOptions['onDecision'];
  private readonly events: DecisionEvents;

  constructor(options: DecisionLogOptions) {
    this.onDecision = options.onDecision;
    this.events = new DecisionEvents(options);
    this.enabled = options.onDecision !== undefined || this.events.enabled;
  }

  /** Reports one decision; `started` is the `performance.now()` at its start. Never throws. */
  record(request: CheckRequest, result: CheckResult, started: number): void {
    if (!this.enabled) return;
    const durationMs = performance.now() - started;
    if (this.onDecision) {
      try {
        this.onDecision({ request, result, durationMs });
      } catch {
        // A broken log hook must not change the decision.
      }
    }
    this.events.record(request, result.allowed, result.code, durationMs);
  }
}
