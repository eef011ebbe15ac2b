/**
 * The flow cookie that binds a login attempt to the browser that started it (RFC 6749 §10.12,
 * RFC 9700 §4.7.1, RFC 6749 §10.12; RFC 9700 §2.1, §2.1.1, §4.7.1). Its value is a fresh 256-bit binding and an HMAC-SHA256 over it and the
 * provider name; the login attempt stored server-side keeps only the binding's SHA-256. The
 * callback needs all three to agree: the signed cookie, the stored attempt found by `state`, and
 * the binding hash in it. So a `state` from another browser, a planted or forged cookie, or a
 * cookie of another provider's attempt fails.
 *
 * The cookie is `HttpOnly`, `SameSite=Lax` (the callback is a top-level navigation from the
 * provider, which `Strict` would strip), `Secure` with the `__Secure-` prefix unless plain-http
 * development is configured, scoped to the provider's callback path, and lives as long as the
 * attempt.
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { stringifySetCookie } from 'cookie';

/** The flow cookie's name: `__Secure-gatehouse-oauth`, or `gatehouse-oauth` without `secure`. */
export function flowCookieName(secure: boolean): string {
  return secure ? '__Secure-gatehouse-oauth' : 'gatehouse-oauth';
}

/** SHA-256 (base64url) of a value: how bindings and state are kept server-side. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Signs and checks flow cookies with one HMAC key. */
export class FlowCookies {
  readonly #key: Uint8Array;
  readonly #secure: boolean;

  constructor(key: Uint8Array, secure: boolean) {
    this.#key = key;
    this.#secure = secure;
  }

  get name(): string {
    return flowCookieName(this.#secure);
  }

  #mac(provider: string, binding: string): string {
    return createHmac('sha256', this.#key)
      .update(`gatehouse-oauth-flow:${provider}:${binding}`)
      .digest('base64url');
  }

  /** A new binding and the signed cookie value carrying it. */
  issue(provider: string): { binding: string; value: string } {
    const binding = randomBytes(32).toString('base64url');
    return { binding, value: `${binding}.${this.#mac(provider, binding)}` };
  }

  /** The binding of a cookie value signed for `provider`, or `undefined` (constant-time MAC check). */
  verify(provider: string, value: string | undefined): string | undefined {
    if (value === undefined || value.length > 200) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const binding = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.#mac(provider, binding));
    return given.length === expected.length && timingSafeEqual(given, expected) ? binding : undefined;
  }

  /** The Set-Cookie value that stores a flow cookie for `maxAge` seconds on `path`. */
  set(value: string, path: string, maxAge: number): string {
    return stringifySetCookie({
      name: this.name,
      value,
      httpOnly: true,
      secure: this.#secure,
      sameSite: 'lax',
      path,
      maxAge,
    });
  }

  /** The Set-Cookie value that deletes the flow cookie on `path`. */
  clear(path: string): string {
    return stringifySetCookie({
      name: this.name,
      value: '',
      httpOnly: true,
      secure: this.#secure,
      sameSite: 'lax',
      path,
      maxAge: 0,
    });
  }
}

/** `a` and `b` are equal, compared in constant time (both are SHA-256 base64url strings). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
