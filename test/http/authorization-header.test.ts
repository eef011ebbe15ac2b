/**
 * `parseAuthorization`, the first step of every guarded request (RFC 9110 §11.6.2, RFC 6750 §2.1,
 * RFC 7617): what counts as a Bearer token, Basic credentials, another scheme, or malformed.
 */
import { describe, expect, it } from 'vitest';
import { decodeBasicCredentials, parseAuthorization } from '../../src/http/credentials.js';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('parseAuthorization', () => {
  it.each([
    ['Bearer abc.DEF-ghi_~+/', 'abc.DEF-ghi_~+/'],
    ['bearer abc', 'abc'],
    ['BEARER abc==', 'abc=='],
    ['Bearer    abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
  ])('%j is a Bearer token', (header, token) => {
    expect(parseAuthorization(header)).toEqual({ kind: 'bearer', token });
  });

  it.each([
    'Bearer',
    'Bearer ',
    'Bearer\tabc',
    'Bearer a b',
    'Bearer =abc',
    'Bearer abc=x',
    'Bearer ab,c',
    'Bearer äbc',
    '1Bearer abc',
    'Bea(rer abc',
    ' abc',
    'Basic !!!!',
    basic('no-colon'),
    'Other a b',
  ])('%j is malformed', (header) => {
    expect(parseAuthorization(header)).toEqual({ kind: 'malformed' });
  });

  it('reads Basic credentials strictly, split at the first colon', () => {
    expect(parseAuthorization(basic('Aladdin:open sesame'))).toEqual({
      kind: 'basic',
      username: 'Aladdin',
      password: 'open sesame',
    });
    expect(parseAuthorization(basic('ops:a:b'))).toEqual({ kind: 'basic', username: 'ops', password: 'a:b' });
  });

  it('names other schemes, and treats no header, an empty one or two headers apart', () => {
    expect(parseAuthorization('Digest abc')).toEqual({ kind: 'other', scheme: 'digest' });
    expect(parseAuthorization(undefined)).toEqual({ kind: 'none' });
    expect(parseAuthorization('   ')).toEqual({ kind: 'none' });
    expect(parseAuthorization([])).toEqual({ kind: 'none' });
    expect(parseAuthorization(['Bearer a', 'Bearer b'])).toEqual({ kind: 'malformed' });
    expect(parseAuthorization(`Bearer ${'a'.repeat(17 * 1024)}`)).toEqual({ kind: 'malformed' });
  });
});

describe('decodeBasicCredentials: one encoding per credential, no control characters (RFC 7617 §2)', () => {
  it.each([
    ['dXNlcjpwYXM=', 'user', 'pas'],
    ['QWxhZGRpbjpvcGVuIHNlc2FtZQ==', 'Aladdin', 'open sesame'],
    ['dGVzdDoxMjPCow==', 'test', '123£'],
  ])('decodes the canonical %s', (encoded, username, password) => {
    expect(decodeBasicCredentials(encoded)).toEqual({ username, password });
  });

  it.each([
    ['non-zero bits after the last character (one pad)', 'dXNlcjpwYXN='],
    ['non-zero bits after the last character (two pads)', 'QWxhZGRpbjpvcGVuIHNlc2FtZR=='],
    ['non-zero bits in a multi-byte vector', 'dGVzdDoxMjPCox=='],
    ['no padding', 'dXNlcjpwYXM'],
    ['too much padding', 'dXNlcjpwYXM=='],
    ['base64url alphabet', Buffer.from('u:??>').toString('base64url')],
  ])('refuses %s: %s', (_label, encoded) => {
    expect(decodeBasicCredentials(encoded)).toBeUndefined();
    expect(parseAuthorization(`Basic ${encoded}`)).toEqual({ kind: 'malformed' });
  });

  it.each([
    ['NUL in the user-id', 'user\u0000:password'],
    ['LF at the end of the user-id', 'user@example.com\n:password'],
    ['TAB before the user-id', '\tuser:password'],
    ['ESC in the user-id', 'us\u001ber:password'],
    ['DEL in the user-id', 'user\u007f:password'],
    ['C1 NEL in the user-id', 'user\u0085:password'],
    ['NUL in the password', 'user:pass\u0000word'],
    ['CR LF in the password', 'user:pass\r\nword'],
    ['TAB in the password', 'user:pass\tword'],
  ])('refuses %s', (_label, text) => {
    const encoded = Buffer.from(text, 'utf8').toString('base64');
    expect(decodeBasicCredentials(encoded)).toBeUndefined();
    expect(parseAuthorization(`Basic ${encoded}`)).toEqual({ kind: 'malformed' });
  });

  it('keeps spaces, colons in the password and non-ASCII text', () => {
    const encoded = Buffer.from('Zoë Ünïcode:a b:c 🙂\u00a0', 'utf8').toString('base64');
    expect(decodeBasicCredentials(encoded)).toEqual({ username: 'Zoë Ünïcode', password: 'a b:c 🙂\u00a0' });
  });
});
