/**
 * Conformance of the HTTP Basic guard (RFC 7617; BA-01..BA-04) across every adapter and
 * transport: the exact challenge, strict decoding, constant-time static checks and the user store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASIC_CHALLENGE,
  bearer,
  expectNoLeak,
  field,
  GOOD_PASSWORD,
  get,
  type Harness,
  postJson,
  registerUser,
  startHarness,
  TRANSPORTS,
  uniqueEmail,
  userWithTokens,
} from './support.js';

const basic = (user: string, password: string) =>
  Buffer.from(`${user}:${password}`, 'utf8').toString('base64');

describe.each(TRANSPORTS)('basic auth conformance: %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(start);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('HTTP Basic (BA-01..BA-04)', () => {
    it('no header -> 401 with exactly `Basic realm="gatehouse", charset="UTF-8"` (BA-01)', async () => {
      const reply = await get(`${h.url}/basic`);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
      expect(reply.headers.get('cache-control')).toBe('no-store');
    });

    it.each([
      ['QWxhZGRpbjpvcGVuIHNlc2FtZQ==', 'Aladdin', 'USER'],
      ['dGVzdDoxMjPCow==', 'test', 'USER'],
      [basic('ops', 'ops-secret'), 'ops', 'ADMIN'],
    ])('the vector %s -> 200 as %s (BA-02)', async (encoded, userId, role) => {
      const reply = await get(`${h.url}/basic`, { authorization: `Basic ${encoded}` });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ userId, role, method: 'basic', scopes: [] });
    });

    it.each([
      ['a wrong password of a different length', basic('Aladdin', 'open sesame, please, now')],
      ['a wrong password of the same length', basic('Aladdin', 'open sesamE')],
      ['an empty password', basic('Aladdin', '')],
      ['an unknown user', basic('Mallory', 'open sesame')],
      ['the user name only', basic('Aladdin', '').slice(0, -4) + Buffer.from('Aladdin').toString('base64')],
      ['no colon', Buffer.from('Aladdin open sesame').toString('base64')],
      ['invalid base64', '!!!not*base64!!!'],
      ['unpadded base64', 'QWxhZGRpbjpvcGVuIHNlc2FtZQ'],
      ['invalid UTF-8', Buffer.from([0xff, 0x3a, 0x61]).toString('base64')],
      ['the password NUL-padded', basic('Aladdin', 'open sesame\u0000')],
    ])('%s -> 401, never 500 (BA-02, BA-03)', async (_label, encoded) => {
      const reply = await get(`${h.url}/basic`, { authorization: `Basic ${encoded}` });
      expect(reply.status, reply.text).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
      expect(reply.text).not.toContain('userId');
      expectNoLeak(reply.text);
    });

    it.each([
      ['Aladdin, with non-zero bits after the last character', 'QWxhZGRpbjpvcGVuIHNlc2FtZR=='],
      ['test / 123£, with non-zero bits after the last character', 'dGVzdDoxMjPCox=='],
      ['Aladdin with a TAB after the user-id', basic('Aladdin\t', 'open sesame')],
      ['Aladdin with a DEL in the password', basic('Aladdin', 'open sesame\u007f')],
    ])('right credentials in a form RFC 7617 §2 refuses -> 401: %s', async (_label, encoded) => {
      const reply = await get(`${h.url}/basic`, { authorization: `Basic ${encoded}` });
      expect(reply.status, reply.text).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
    });

    it('/basic-store: a user-id with control characters or a non-canonical encoding -> 401', async () => {
      // A password whose length leaves padding in the encoding, so non-zero pad bits can be set.
      const email = uniqueEmail('basicctl');
      let password = GOOD_PASSWORD;
      while ((email.length + 1 + password.length) % 3 !== 1) password += '!';
      const registered = await postJson(`${h.url}/auth/register`, { email, password });
      expect(registered.status, registered.text).toBe(201);
      const canonical = basic(email, password);
      expect(canonical).toMatch(/[^=]==$/);
      // The same bytes with non-zero bits after the last character: the lenient decoders' reading.
      const bumped = String.fromCharCode(canonical.charCodeAt(canonical.length - 3) + 1);
      const nonCanonical = `${canonical.slice(0, -3)}${bumped}==`;
      expect(Buffer.from(nonCanonical, 'base64')).toEqual(Buffer.from(canonical, 'base64'));
      for (const encoded of [
        basic(`${email}\n`, password),
        basic(`\t${email}`, password),
        basic(`${email}\r`, password),
        nonCanonical,
      ]) {
        const reply = await get(`${h.url}/basic-store`, { authorization: `Basic ${encoded}` });
        expect(reply.status, `${encoded} ${reply.text}`).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
      }
      const ok = await get(`${h.url}/basic-store`, { authorization: `Basic ${canonical}` });
      expect(ok.status, ok.text).toBe(200);
    });

    it.each(['basic', 'BASIC', 'bAsIc'])('the scheme is case-insensitive: %s (BA-04)', async (scheme) => {
      const reply = await get(`${h.url}/basic`, { authorization: `${scheme} QWxhZGRpbjpvcGVuIHNlc2FtZQ==` });
      expect(reply.status).toBe(200);
      expect(reply.body.userId).toBe('Aladdin');
    });

    it('a Bearer token on a Basic route -> 401 with the Basic challenge', async () => {
      const { tokens } = await userWithTokens(h, 'bearer-on-basic');
      const reply = await get(`${h.url}/basic`, bearer(tokens.access));
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
    });

    it('/basic-store: a registered user’s email and password -> 200 with the user id; wrong -> 401', async () => {
      const user = await registerUser(h, 'basicstore');
      const ok = await get(`${h.url}/basic-store`, {
        authorization: `Basic ${basic(user.email, user.password)}`,
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body).toEqual({ userId: user.id, role: 'USER', method: 'basic', scopes: [] });
      for (const encoded of [
        basic(user.email, `${user.password}x`),
        basic(user.email, 'short'),
        basic(uniqueEmail('ghost'), user.password),
      ]) {
        const reply = await get(`${h.url}/basic-store`, { authorization: `Basic ${encoded}` });
        expect(reply.status).toBe(401);
        expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
      }
    });

    it('/basic-store splits at the FIRST colon: a password containing colons works (BA-02)', async () => {
      const email = uniqueEmail('colon');
      const password = `colon:${GOOD_PASSWORD}:x`;
      const registered = await postJson(`${h.url}/auth/register`, { email, password });
      expect(registered.status, registered.text).toBe(201);
      const ok = await get(`${h.url}/basic-store`, { authorization: `Basic ${basic(email, password)}` });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.userId).toBe(field(registered, 'id'));
    });

    it('/basic-store failures are recorded as login.failed with factor basic (what lockout counts, BA-04)', async () => {
      const user = await registerUser(h, 'basicevents');
      const before = h.gh.seen.length;
      const reply = await get(`${h.url}/basic-store`, {
        authorization: `Basic ${basic(user.email, 'wrong-password-for-basic')}`,
      });
      expect(reply.status).toBe(401);
      const failures = h.gh.seen
        .slice(before)
        .filter((event) => event.type === 'login.failed' && event.userId === user.id);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ factor: 'basic', reason: 'wrong_password' });
    });

    it('/basic-store refuses a disabled account with the same 401', async () => {
      const user = await registerUser(h, 'basicdisabled');
      await h.gh.auth.disableAccount(user.id);
      const reply = await get(`${h.url}/basic-store`, {
        authorization: `Basic ${basic(user.email, user.password)}`,
      });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(BASIC_CHALLENGE);
    });
  });
});
