/**
 * A minimal browser for OAuth tests over real HTTP: a cookie jar per host (name, value, path,
 * Max-Age deletion; `Secure` is ignored because every peer is plain-http loopback) and manual
 * redirect following, so a test can stop right before a hop (the callback) and replay, alter or
 * hand it to another browser.
 */
import { parseSetCookie } from 'cookie';

interface StoredCookie {
  readonly value: string;
  readonly path: string;
}

/** One response as the browser saw it. */
export interface Hop {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The absolute `Location` of a redirect, else `undefined`. */
  readonly location: string | undefined;
}

export class Browser {
  /** host -> name -> cookie (path-scoped names are kept per path). */
  readonly #jar = new Map<string, Map<string, StoredCookie>>();

  /** The cookies that would be sent to `url`. */
  cookiesFor(url: string): Record<string, string> {
    const { host, pathname } = new URL(url);
    const out: Record<string, string> = {};
    for (const [key, cookie] of this.#jar.get(host) ?? []) {
      const name = key.split('\u0000')[0] as string;
      const scoped =
        cookie.path === '/' || pathname === cookie.path || pathname.startsWith(`${cookie.path}/`);
      if (scoped) out[name] = cookie.value;
    }
    return out;
  }

  /** Sets a cookie by hand (e.g. a planted one). */
  setCookie(url: string, name: string, value: string, path = '/'): void {
    const { host } = new URL(url);
    let cookies = this.#jar.get(host);
    if (!cookies) {
      cookies = new Map();
      this.#jar.set(host, cookies);
    }
    cookies.set(`${name}\u0000${path}`, { value, path });
  }

  #store(url: string, headers: Headers): void {
    const { host } = new URL(url);
    for (const line of headers.getSetCookie()) {
      const parsed = parseSetCookie(line);
      const path = parsed.path ?? '/';
      if (parsed.maxAge !== undefined && parsed.maxAge <= 0) {
        this.#jar.get(host)?.delete(`${parsed.name}\u0000${path}`);
      } else {
        this.setCookie(url, parsed.name, parsed.value ?? '', path);
      }
    }
  }

  /** One request with this browser's cookies; stores the cookies it gets back. */
  async request(url: string, init: RequestInit = {}): Promise<Hop> {
    const headers = new Headers(init.headers);
    const cookies = Object.entries(this.cookiesFor(url));
    if (cookies.length > 0) headers.set('cookie', cookies.map(([n, v]) => `${n}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    const text = await response.text();
    this.#store(url, response.headers);
    const raw = response.headers.get('location');
    return {
      url,
      status: response.status,
      headers: response.headers,
      text,
      location: raw === null ? undefined : new URL(raw, url).href,
    };
  }

  /**
   * Follows redirects from `url` (GET). Stops at a response that is not a redirect, or before
   * requesting a URL for which `stopBefore` is true (that URL is returned as `next`).
   */
  async follow(
    url: string,
    stopBefore: (next: URL) => boolean = () => false,
    maxHops = 20,
  ): Promise<{ hops: Hop[]; last: Hop; next: string | undefined }> {
    const hops: Hop[] = [];
    let current = url;
    for (let i = 0; i < maxHops; i++) {
      const hop = await this.request(current);
      hops.push(hop);
      if (hop.location === undefined || hop.status < 300 || hop.status >= 400) {
        return { hops, last: hop, next: undefined };
      }
      if (stopBefore(new URL(hop.location))) return { hops, last: hop, next: hop.location };
      current = hop.location;
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }
}
