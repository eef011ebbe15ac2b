/**
 * A ready sink for security events: one JSON object per line, or a pino-compatible logger.
 * JSON encoding escapes CR, LF and every control character, so no field can forge a log line
 * (ASVS 16.4.1); events carry no secrets to begin with (ASVS 16.2.5).
 *
 * @module
 */
import type { SecurityEvent, SecurityEvents } from '../events.js';

/** A logger with pino's calling convention: `logger.info(object, message)`. */
export interface PinoLikeLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/**
 * Failures, logged at `warn` with a pino-like logger (with authorization denies and
 * {@link ATTENTION_EVENTS}); the rest at `info`.
 */
const WARNING_EVENTS = new Set<SecurityEvent['type']>([
  'login.failed',
  'account.locked',
  'refresh.reused',
  'rate.limited',
  'rate.unchecked',
  'account.disabled',
  'mfa.failed',
  'mfa.suspicious',
  'client.authentication_failed',
  'api_key.rejected',
]);

/**
 * Successes logged at `warn` all the same, because someone should look at them: a change of a
 * user's privileges (OWASP Logging Vocabulary: `authz_change` is a WARN event). Their `outcome`
 * stays `success`.
 */
const ATTENTION_EVENTS = new Set<SecurityEvent['type']>(['user.role_changed']);

/** Whether an event records a failure: a failure type, or an authorization decision that denied. */
function isFailure(event: SecurityEvent): boolean {
  return WARNING_EVENTS.has(event.type) || (event.type === 'authz.decision' && !event.allowed);
}

/** The log record of an event: its fields with `at` as an ISO 8601 UTC string, plus `outcome`. */
export function eventRecord(event: SecurityEvent): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event))
    record[key] = value instanceof Date ? value.toISOString() : value;
  record.outcome = isFailure(event) ? 'failure' : 'success';
  return record;
}

/**
 * Subscribes a sink to every security event and returns the unsubscribe function. Give it
 * either a function that writes one line (e.g. `(line) => process.stdout.write(line)`) — each
 * call gets one JSON object and a trailing newline — or a pino-compatible logger.
 */
export function subscribeJsonLines(
  events: SecurityEvents,
  sink: ((line: string) => void) | PinoLikeLogger,
): () => void {
  return events.on('*', (event) => {
    const record = eventRecord(event);
    if (typeof sink === 'function') {
      sink(`${JSON.stringify(record)}\n`);
      return;
    }
    if (isFailure(event) || ATTENTION_EVENTS.has(event.type)) sink.warn(record, event.type);
    else sink.info(record, event.type);
  });
}
