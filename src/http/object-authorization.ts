/**
 * The decision behind the `authorize` guard: one question to the configured policy decider per
 * request, failing closed (OWASP ASVS v4 4.1.5), with fail-closed denies reported as security
 * events so an outage of the decider is visible rather than silent.
 *
 * @module
 */
import type { Gatehouse } from '../gatehouse.js';
import { isFailClosed } from '../policy/decision-log.js';
import type { Principal, ResourceRef } from './guards.js';

/** A guard needs only `allowed`: no explanation tree on the request path. */
const FAST_DECISION = Object.freeze({ explain: false });

/**
 * The policy subject type of a principal. A registered client is asked about as `client:<id>`
 * and another issuer's subject as `<subjectType>:<sub>`, so no rule for your own users
 * (`user:*`) admits either.
 */
export function subjectType(gatehouse: Gatehouse, principal: Principal): string {
  if (principal.kind === 'client') return 'client';
  if (principal.issuer === undefined) return 'user';
  const issuer = gatehouse.config.resourceServer.issuers.find((i) => i.issuer === principal.issuer);
  // Unreachable for principals built by authenticate; a type no model declares denies.
  return issuer?.subjectType ?? 'external_user';
}

/**
 * Whether the configured decider (`authorization.decider`, a `PolicyEvaluator` or a
 * decision-service client) allows the principal — as subject `<type>:<id>` (see
 * {@link subjectType}) with its role, token scopes, authentication method and issuer as
 * attributes — to `action` on `resource`. No decider, a thrown error, a timeout or any answer
 * but `allowed: true` is a deny; a deny because the decider could not decide (store or decision
 * service down, bad input) is emitted as an `authz.decision` event with `failClosed: true`.
 */
export async function decideAccess(
  gatehouse: Gatehouse,
  principal: Principal,
  action: string,
  resource: ResourceRef,
  context?: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  const { decider } = gatehouse.config.authorization;
  const started = performance.now();
  try {
    const decision = decider
      ? await decider.check(
          {
            subject: {
              type: subjectType(gatehouse, principal),
              id: principal.userId,
              attributes: {
                role: principal.role,
                scopes: [...principal.scopes],
                method: principal.method,
                ...(principal.issuer === undefined ? {} : { issuer: principal.issuer }),
              },
            },
            action,
            resource,
            ...(context ? { context } : {}),
          },
          FAST_DECISION,
        )
      : undefined;
    if (decision?.allowed === true) return true;
    if (decision && isFailClosed(decision.code)) {
      failedClosed(gatehouse, principal, action, resource, decision.code, started);
    }
    return false;
  } catch {
    failedClosed(gatehouse, principal, action, resource, 'decider_error', started);
    return false;
  }
}

/** Reports a fail-closed deny as an `authz.decision` security event. */
function failedClosed(
  gatehouse: Gatehouse,
  principal: Principal,
  action: string,
  resource: ResourceRef,
  code: string,
  started: number,
): void {
  gatehouse.events.emit('authz.decision', undefined, gatehouse.now(), {
    subject: `${subjectType(gatehouse, principal)}:${principal.userId}`.slice(0, 256),
    action: String(action).slice(0, 256),
    resource: `${resource.type}:${resource.id}`.slice(0, 256),
    allowed: false,
    code,
    failClosed: true,
    durationMs: performance.now() - started,
  });
}
