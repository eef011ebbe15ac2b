/**
 * `parseAuthorization`, the first step of every guarded request (RFC 9110 §11.6.2, RFC 6750 §2.1,
 * RFC 7617): what counts as a Bearer token, Basic credentials, another scheme, or malformed.
 */
import { describe, expect, it } from 'vitest';
import { parseAuthorization } from '../../src/http/credentials.js';

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
