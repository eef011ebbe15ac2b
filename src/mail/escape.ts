/**
 * The two guards every HTML mail template needs: escaping interpolated text, and only letting
 * absolute `https:`/`http:` links into an `href`. Exported so that custom templates can use them.
 *
 * @module
 */

import { UnsafeLinkError } from './errors.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes `&`, `<`, `>`, `"` and `'` so that `value` is inert both as HTML text and inside a
 * quoted attribute value.
 *
 * @example
 * escapeHtml('<script>alert("x")</script>') // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 */
export function escapeHtml(value: string): string {
  return String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Longest link accepted; the links gatehouse sends are a base URL plus one token. */
const MAX_LINK_LENGTH = 2048;

/**
 * Checks that `link` is an absolute `https:` or `http:` URL without embedded credentials and
 * returns it in normalised form (as `URL#href`), ready for an `href` attribute (escape it still)
 * or a plain-text body. Throws {@link UnsafeLinkError} for `javascript:`, `data:`, `vbscript:`,
 * `file:`, relative or malformed links, whitespace or control characters, and `user:pass@host`.
 */
export function safeLink(link: string): string {
  if (typeof link !== 'string' || link === '') throw new UnsafeLinkError('the link is empty');
  if (link.length > MAX_LINK_LENGTH) throw new UnsafeLinkError('the link is too long');
  // URL parsing strips leading/trailing whitespace and control characters and removes tabs and
  // newlines inside; refuse them instead so that what is checked is what is sent.
  if (/[\s\p{Cc}]/u.test(link))
    throw new UnsafeLinkError('the link contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new UnsafeLinkError('the link is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UnsafeLinkError('only https: and http: links are allowed');
  }
  if (url.username !== '' || url.password !== '') {
    throw new UnsafeLinkError('the link must not carry credentials');
  }
  return url.href;
}

/**
 * Makes an interpolated value safe for a single line of a plain-text body or a subject: control
 * characters (line breaks, escape sequences, bidi overrides) become spaces, runs of whitespace collapse, and the
 * result is cut to `maxLength` characters. Stops a value such as a user agent from forging extra
 * lines ("Click here: ...") in a mail sent in the application's name.
 */
export function singleLine(value: string, maxLength = 200): string {
  const flat = String(value)
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(flat);
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join('')}…` : flat;
}
