/**
 * A ready sink for security events: one JSON object per line, or a pino-compatible logger.
 *
 * No field can forge or split a log line (OWASP ASVS 5.0 V16.4.1): besides what `JSON.stringify`
 * escapes (C0 controls, `"` and `\`), every character that some log pipeline, viewer or terminal
 * takes for a line break or a control is written as a `\uXXXX` escape: DEL and the C1 controls
 * (U+007F–U+009F, among them NEL U+0085, a line break in Unicode), the line and paragraph
 * separators U+2028 and U+2029, and the bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069) that can make a line display as something else. The escapes are
 * JSON, so a parser reads back the exact value. Events carry no secrets to begin with (ASVS
 * V16.2.5).
 *
 * @module
 */
import type { SecurityEvent, SecurityEvents } from '../events.js';

/**
 * Characters written as `\uXXXX` in every line (besides the C0 controls `JSON.stringify` already
 * escapes): DEL, C1, the bidirectional controls, U+2028 and U+2029.
 */
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeUnsafe = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * One line of JSON for `value`: `JSON.stringify` with the characters of `UNSAFE` escaped too, so
 * the line holds nothing but printable characters and `JSON.parse` gives back `value` exactly.
 */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, escapeUnsafe);
}

/**
 * A string with every control character (C0, DEL, C1), U+2028, U+2029 and bidirectional control
 * spelled as the text `\uXXXX`: for records handed to a logger that serializes them itself and may
 * let such characters through.
 */
function spellUnsafe(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return value.replace(/[\u0000-\u001f]/g, escapeUnsafe).replace(UNSAFE, escapeUnsafe);
}

function sanitized(value: unknown): unknown {
  if (typeof value === 'string') return spellUnsafe(value);
  if (Array.isArray(value)) return value.map(sanitized);
  return value;
}

/** A logger with pino's calling convention: `logger.info(object, message)`. */
export interface PinoLikeLogger {
  /** Logs one event at `info`: the event's fields, then a short message. */
  info(object: object, message?: string): void;
  /** Logs one event at `warn`: the event's fields, then a short message. */
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
  'code.reused',
  'rate.limited',
  'rate.unchecked',
  'account.disabled',
  'mfa.failed',
  'mfa.suspicious',
  'mfa.locked',
  'client.authentication_failed',
  'api_key.rejected',
  'token.rejected',
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
 * call gets one JSON object (`toJsonLine`: only printable characters) and a trailing
 * newline — or a pino-compatible logger, which gets the record with every control, separator and
 * bidirectional character in its strings spelled out as the text `\uXXXX` (the logger's own
 * serializer may pass them through).
 */
export function subscribeJsonLines(
  events: SecurityEvents,
  sink: ((line: string) => void) | PinoLikeLogger,
): () => void {
  return events.on('*', (event) => {
    const record = eventRecord(event);
    if (typeof sink === 'function') {
      sink(`${toJsonLine(record)}\n`);
      return;
    }
    // The logger serializes the record itself: hand it strings with nothing to smuggle.
    const safe: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) safe[key] = sanitized(value);
    if (isFailure(event) || ATTENTION_EVENTS.has(event.type)) sink.warn(safe, event.type);
    else sink.info(safe, event.type);
  });
}
