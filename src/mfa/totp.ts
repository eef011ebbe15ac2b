/**
 * TOTP primitives (RFC 6238 on RFC 4226 HOTP): secret generation, enrolment URI and QR code, code
 * generation and verification. HOTP itself comes from `otpauth`; this module adds the checks
 * gatehouse is held to (RFC 6238 App. B, §4.2 to RFC 6238 §5.2; OWASP ASVS 5.0 6.5.5, 6.5.8): a CSPRNG secret of at least 160 bits, server time only,
 * a window of at most ±1 step, a 64-bit time step, and a constant-time comparison.
 *
 * Everything here is pure: no storage, no clock of its own. Replay protection (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.1) and attempt
 * limits (NIST SP 800-63B-4 §3.2.2; RFC 4226 §7.3) belong to the caller, which stores the step that {@link verifyTotp} returns.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';
import { toString as qrToString } from 'qrcode';

/** The HMAC algorithms accepted for TOTP (RFC 6238 §1.2). SHA1 is what authenticator apps support widely. */
export const TOTP_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

/** One of {@link TOTP_ALGORITHMS}. */
export type TotpAlgorithm = (typeof TOTP_ALGORITHMS)[number];

/** Secret size {@link generateTotpSecret} uses by default: 160 bits, as RFC 4226 §4 R6 recommends. */
export const DEFAULT_TOTP_SECRET_BYTES = 20;

/**
 * Smallest secret accepted anywhere in this module: 128 bits, the RFC 4226 §4 R6 MUST. New
 * secrets are at least {@link DEFAULT_TOTP_SECRET_BYTES}; this floor only refuses to verify
 * against a secret too short to be safe.
 */
export const MIN_TOTP_SECRET_BYTES = 16;

/** Largest secret {@link generateTotpSecret} makes; more bytes than the SHA-512 output add nothing. */
export const MAX_TOTP_SECRET_BYTES = 64;

/** Largest verification window, in steps either side of the current one (RFC 6238 §5.2, RFC 6238 §5.2; OWASP ASVS 5.0 6.5.5, 6.5.8). */
export const MAX_TOTP_WINDOW = 1;

/** A TOTP secret: RFC 4648 base32 text (as stored and shown at enrolment) or the raw bytes. */
export type TotpSecret = string | Uint8Array;

/** Code parameters shared by generation, verification and the enrolment URI. */
export interface TotpOptions {
  /** HMAC algorithm. Default `SHA1`. */
  algorithm?: TotpAlgorithm;
  /** Code length, 6 to 8. Default 6 (RFC 4226 §5.3 requires at least 6). */
  digits?: number;
  /** Step length in seconds. Default 30 (RFC 6238 §5.2; ASVS 6.5.5 allows a 30 s lifetime). */
  period?: number;
}

/** Input of {@link verifyTotp}. */
export interface VerifyTotpInput extends TotpOptions {
  /** The user's secret, as decrypted from storage. */
  secret: TotpSecret;
  /** What the user typed. Anything but exactly `digits` ASCII digits is refused. */
  code: string;
  /** Server time. Never take it from the request (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.5, 6.5.8). */
  now: Date;
  /** Steps accepted either side of the current one: 0 or 1. Default 1. Larger throws. */
  window?: number;
}

/** Input of {@link totpUri}. */
export interface TotpUriInput extends TotpOptions {
  /** The user's secret. */
  secret: TotpSecret;
  /** Account label shown in the authenticator app, e.g. the email. Must not contain `:`. */
  accountName: string;
  /** Service name shown in the authenticator app. Must not contain `:`. */
  issuer: string;
}

const BASE32 = /^[A-Za-z2-7]+=*$/;
const DIGITS = /^[0-9]+$/;
const URI_PREFIX = 'otpauth://totp/';

function checkAlgorithm(algorithm: unknown): TotpAlgorithm {
  if (!(TOTP_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new TypeError(`TOTP algorithm must be one of ${TOTP_ALGORITHMS.join(', ')}`);
  }
  return algorithm as TotpAlgorithm;
}

function checkDigits(digits: unknown): number {
  if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 6 || digits > 8) {
    throw new RangeError('TOTP digits must be an integer from 6 to 8');
  }
  return digits;
}

function checkPeriod(period: unknown): number {
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) {
    throw new RangeError('TOTP period must be a positive integer number of seconds');
  }
  return period;
}

function checkWindow(window: unknown): number {
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 0 || window > MAX_TOTP_WINDOW) {
    throw new RangeError(`TOTP window must be an integer from 0 to ${MAX_TOTP_WINDOW} (RFC 6238 §5.2)`);
  }
  return window;
}

/** Decodes and size-checks a secret. Throws on malformed base32 or fewer than 128 bits. */
function toSecret(secret: TotpSecret): Secret {
  let decoded: Secret;
  if (typeof secret === 'string') {
    if (!BASE32.test(secret)) throw new TypeError('TOTP secret must be RFC 4648 base32');
    decoded = Secret.fromBase32(secret);
  } else if (secret instanceof Uint8Array) {
    decoded = new Secret({ buffer: Uint8Array.from(secret).buffer });
  } else {
    throw new TypeError('TOTP secret must be a base32 string or a Uint8Array');
  }
  if (decoded.bytes.length < MIN_TOTP_SECRET_BYTES) {
    throw new RangeError(`TOTP secret must be at least ${MIN_TOTP_SECRET_BYTES} bytes (RFC 4226 §4 R6)`);
  }
  return decoded;
}

/**
 * A new TOTP secret: `bytes` bytes from the CSPRNG (`crypto.randomBytes`), as RFC 4648 base32
 * without padding (32 characters for the default 20 bytes).
 *
 * Checks that `bytes` is an integer from 20 to 64: RFC 4226 §4 R6; RFC 6238 §5.1 asks for at least 160 bits (RFC 4226 §4
 * R6, RFC 6238 §5.1). Store it only encrypted (see `sealSecret`), show it only at enrolment, and
 * never log it.
 */
export function generateTotpSecret(bytes = DEFAULT_TOTP_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < DEFAULT_TOTP_SECRET_BYTES || bytes > MAX_TOTP_SECRET_BYTES) {
    throw new RangeError(
      `TOTP secret size must be an integer from ${DEFAULT_TOTP_SECRET_BYTES} to ${MAX_TOTP_SECRET_BYTES} bytes`,
    );
  }
  return new Secret({ buffer: Uint8Array.from(randomBytes(bytes)).buffer }).base32;
}

/**
 * The RFC 6238 time step `T = floor(unixSeconds / period)` for `now`, with T0 = 0.
 *
 * Computed in floating point from milliseconds and never passed through a 32-bit operation, so
 * times past 2^32 seconds (the 20000000000 vector, year 2603) keep their full value (RFC 6238 App. B, §4.2).
 * Throws on an invalid date, a time before the epoch or a bad period.
 */
export function totpStep(now: Date, period = 30): number {
  checkPeriod(period);
  const ms = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('now must be a valid Date at or after 1970');
  return Math.floor(ms / (period * 1000));
}

/**
 * The code for time step `step` (HOTP with counter = step, RFC 6238 §4.2), computed by `otpauth`
 * with the full 64-bit counter. For tests and code generation; to check a user's code use
 * {@link verifyTotp}, which compares in constant time.
 *
 * Checks the secret (base32 or bytes, at least 128 bits), the step (a non-negative safe integer),
 * the algorithm and the digits (6 to 8).
 */
export function totpCode(
  secret: TotpSecret,
  step: number,
  options: Pick<TotpOptions, 'algorithm' | 'digits'> = {},
): string {
  if (!Number.isSafeInteger(step) || step < 0)
    throw new RangeError('TOTP step must be a non-negative integer');
  return HOTP.generate({
    secret: toSecret(secret),
    algorithm: checkAlgorithm(options.algorithm ?? 'SHA1'),
    digits: checkDigits(options.digits ?? 6),
    counter: step,
  });
}

/**
 * Verifies a TOTP code against server time and returns the time step it matched, or `null`.
 *
 * - Time is `now`, supplied by the server; nothing from the request (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.5, 6.5.8).
 * - `window` is 0 or 1 (RFC 6238 §5.2); anything larger, negative or fractional throws, as do a
 *   bad secret, algorithm, digits, period or date (programming errors, not user errors).
 * - `code` must be exactly `digits` ASCII digits; anything else (letters, spaces, other lengths,
 *   non-strings) returns `null` without throwing and without computing a code.
 * - The expected code of every step from T-window to T+window is computed with `otpauth` and
 *   compared with `timingSafeEqual` over equal-length buffers. Every step is compared, with no
 *   early exit, so the time taken does not tell which step matched (RFC 4226 §4 R6; RFC 6238 §5.1, ASVS 11.2.4).
 * - If the code matches several steps (a 10^-digits collision), the highest is returned, so that
 *   a caller storing it for replay protection (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.1: reject a step ≤ the last accepted one) also
 *   refuses the same code later at the higher step.
 *
 * The caller must store the returned step and refuse any later step ≤ it, atomically (RFC 6238 §5.2; OWASP ASVS 5.0 6.5.1).
 */
export function verifyTotp(input: VerifyTotpInput): number | null {
  const { secret, code, now, window = 1, algorithm = 'SHA1', digits = 6, period = 30 } = input;
  checkWindow(window);
  checkAlgorithm(algorithm);
  checkDigits(digits);
  const key = toSecret(secret);
  const current = totpStep(now, period);
  if (typeof code !== 'string' || code.length !== digits || !DIGITS.test(code)) return null;
  const given = Buffer.from(code, 'ascii');
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(HOTP.generate({ secret: key, algorithm, digits, counter: step }), 'ascii');
    if (timingSafeEqual(given, expected)) matched = step;
  }
  return matched;
}

function checkLabelPart(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new TypeError(`${name} must be a non-empty string of at most 256 characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[:\u0000-\u001f\u007f]/.test(value)) {
    throw new TypeError(`${name} must not contain ':' or control characters (Key URI Format)`);
  }
  return value;
}

/**
 * The `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=…&digits=…&period=…` enrolment
 * URI (Google Authenticator Key URI Format), built by `otpauth`, which percent-encodes the issuer
 * and the account name.
 *
 * Checks: issuer and account name are non-empty, at most 256 characters, and contain neither `:`
 * (the label separator, which apps do not accept even encoded) nor control characters; the
 * secret is valid and at least 128 bits; the algorithm, digits and period are valid. The URI
 * holds the secret in clear: show it only at enrolment and never log it (RFC 4226 §4 R6; RFC 6238 §5.1).
 */
export function totpUri(input: TotpUriInput): string {
  return new TOTP({
    issuer: checkLabelPart('issuer', input.issuer),
    label: checkLabelPart('accountName', input.accountName),
    issuerInLabel: true,
    secret: toSecret(input.secret),
    algorithm: checkAlgorithm(input.algorithm ?? 'SHA1'),
    digits: checkDigits(input.digits ?? 6),
    period: checkPeriod(input.period ?? 30),
  }).toString();
}

/**
 * A QR code of an enrolment URI as an SVG document (`<svg …>…</svg>`), made by `qrcode` with
 * error-correction level M and the standard 4-module quiet zone. Safe to inline in HTML: the
 * output holds only paths, no text from the URI.
 *
 * Checks that `uri` is an `otpauth://totp/` URI, so the helper is not used to render arbitrary
 * text. The image holds the secret: serve it only on the enrolment response with
 * `Cache-Control: no-store`, and never log it (RFC 4226 §4 R6; RFC 6238 §5.1).
 */
export async function totpQrSvg(uri: string): Promise<string> {
  if (typeof uri !== 'string' || !uri.startsWith(URI_PREFIX)) {
    throw new TypeError(`uri must start with ${URI_PREFIX}`);
  }
  return qrToString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

/**
 * {@link totpQrSvg} as a `data:image/svg+xml;base64,…` URL, for an `<img src>`. Same checks and
 * same handling rules: it holds the secret.
 */
export async function totpQrDataUrl(uri: string): Promise<string> {
  const svg = await totpQrSvg(uri);
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
