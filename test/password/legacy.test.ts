import { randomBytes, scrypt } from 'node:crypto';
import { type Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { PasswordService } from '../../src/password/index.js';
import { CHEAP_ARGON2, phcParams } from './helpers.js';

const service = new PasswordService({ argon2: CHEAP_ARGON2 });
const PASSWORD = 'Tr0ub4dor horse battery!';

/** After a successful legacy verify, the caller stores a fresh hash: it must be current. */
async function expectUpgrade(password: string) {
  const upgraded = await service.hash(password);
  expect(phcParams(upgraded)).toMatchObject({ algorithm: 'argon2id', m: 1024, t: 1, p: 1 });
  expect(service.needsRehash(upgraded)).toBe(false);
  expect(await service.verify(password, upgraded)).toEqual({ ok: true, needsRehash: false });
}

describe('PW-10 legacy bcrypt: verify-only, rehash on success', () => {
  it('verifies a $2b$04$ hash made by bcryptjs and asks for a rehash', async () => {
    const legacy = await bcrypt.hash(PASSWORD, 4);
    expect(legacy.startsWith('$2b$04$')).toBe(true);
    expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify(PASSWORD.toLowerCase(), legacy)).toEqual({ ok: false, needsRehash: false });
    expect(service.needsRehash(legacy)).toBe(true);
    await expectUpgrade(PASSWORD);
  });

  it('verifies the $2a$ and $2y$ variants', async () => {
    for (const prefix of ['$2a$', '$2y$']) {
      const salt = bcrypt.genSaltSync(4).replace('$2b$', prefix);
      const legacy = bcrypt.hashSync(PASSWORD, salt);
      expect(legacy.startsWith(`${prefix}04$`)).toBe(true);
      expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
      expect((await service.verify(`${PASSWORD}x`, legacy)).ok).toBe(false);
    }
  });

  it('refuses inputs over 72 bytes instead of truncating them', async () => {
    const long = `${'x'.repeat(72)}-the rest bcrypt would silently ignore`;
    const legacy = await bcrypt.hash(long, 4); // bcryptjs hashes only the first 72 bytes
    expect(await bcrypt.compare(`${'x'.repeat(72)}-anything else`, legacy)).toBe(true); // the hazard
    expect(await service.verify(long, legacy)).toEqual({ ok: false, needsRehash: false });
    expect(await service.verify(`${'x'.repeat(72)}-anything else`, legacy)).toEqual({
      ok: false,
      needsRehash: false,
    });
    // Exactly 72 bytes is not truncated and still verifies.
    expect(await service.verify('x'.repeat(72), legacy)).toEqual({ ok: true, needsRehash: true });
  });

  it('counts the 72 bytes in UTF-8, not characters', async () => {
    const accented = '\u00e9'.repeat(37); // 37 characters, 74 bytes
    const legacy = await bcrypt.hash(accented, 4);
    expect((await service.verify(accented, legacy)).ok).toBe(false);
    const fits = '\u00e9'.repeat(36); // 72 bytes
    expect((await service.verify(fits, await bcrypt.hash(fits, 4))).ok).toBe(true);
  });

  it('tries the NFC form first, then the raw input, for systems that did not normalize', async () => {
    const nfd = 'Cafe\u0301 au lait du matin';
    const legacyOfRaw = await bcrypt.hash(nfd, 4);
    expect(await service.verify(nfd, legacyOfRaw)).toEqual({ ok: true, needsRehash: true });
    const legacyOfNfc = await bcrypt.hash(nfd.normalize('NFC'), 4);
    expect(await service.verify(nfd, legacyOfNfc)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify(nfd.normalize('NFC'), legacyOfNfc)).toEqual({ ok: true, needsRehash: true });
  });
});

describe('PW-10 argon2 hashes with other parameters', () => {
  it('verifies an argon2id m=4096 hash and asks for a rehash', async () => {
    const older = new PasswordService({ argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 } });
    const legacy = await older.hash(PASSWORD);
    expect(phcParams(legacy).m).toBe(4096);
    expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify('wrong password here', legacy)).toEqual({ ok: false, needsRehash: false });
    await expectUpgrade(PASSWORD);
  });

  it('asks for a rehash when t or p differ, or when current parameters are weaker than the hash', async () => {
    const t2 = await new PasswordService({ argon2: { ...CHEAP_ARGON2, timeCost: 2 } }).hash(PASSWORD);
    const p2 = await new PasswordService({ argon2: { ...CHEAP_ARGON2, parallelism: 2 } }).hash(PASSWORD);
    expect(await service.verify(PASSWORD, t2)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify(PASSWORD, p2)).toEqual({ ok: true, needsRehash: true });
  });

  it('does not ask for a rehash at the current parameters', async () => {
    expect(await service.verify(PASSWORD, await service.hash(PASSWORD))).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it('verifies argon2i and argon2d hashes and asks for a rehash', async () => {
    for (const [algorithm, name] of [
      [1, 'argon2i'],
      [0, 'argon2d'],
    ] as const) {
      const legacy = await argon2Hash(PASSWORD, { ...CHEAP_ARGON2, algorithm: algorithm as Algorithm });
      expect(phcParams(legacy).algorithm).toBe(name);
      expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
      expect((await service.verify('wrong password here', legacy)).ok).toBe(false);
    }
  });
});

/** scrypt exactly as the source systems call it: password and salt are both UTF-8 text. */
function scryptHex(password: string, salt: string, r: number): Promise<string> {
  const N = 16384;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 64, { N, r, p: 1, maxmem: 128 * N * r * 2 }, (error, key) =>
      error ? reject(error) : resolve(key.toString('hex')),
    );
  });
}

/** Lucia's salt: 16 characters from its alphabet (lower-case letters and digits). */
function luciaSalt(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz1234567890';
  return [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join('');
}

describe('legacy scrypt: better-auth and Lucia', () => {
  it('verifies better-auth hashPassword output (saltHex:keyHex, N=16384 r=16 p=1, NFKC)', async () => {
    // better-auth: salt = hex(16 random bytes); key = scrypt(password.normalize('NFKC'), salt, ...).
    const salt = randomBytes(16).toString('hex');
    const legacy = `${salt}:${await scryptHex(PASSWORD.normalize('NFKC'), salt, 16)}`;
    expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify(`${PASSWORD} `, legacy)).toEqual({ ok: false, needsRehash: false });
    expect(service.needsRehash(legacy)).toBe(true);
    await expectUpgrade(PASSWORD);
  });

  it('applies NFKC as better-auth did: a full-width password verifies as typed', async () => {
    const fullWidth = '\uFF30\uFF41\uFF53\uFF53 phrase for the \uFB01eld';
    const salt = randomBytes(16).toString('hex');
    const legacy = `${salt}:${await scryptHex(fullWidth.normalize('NFKC'), salt, 16)}`;
    expect(await service.verify(fullWidth, legacy)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify(fullWidth.normalize('NFD'), legacy)).toEqual({ ok: true, needsRehash: true });
  });

  it('verifies Lucia v2 generateScryptHash output (s2:salt:keyHex, text salt, r=16)', async () => {
    const salt = luciaSalt();
    const legacy = `s2:${salt}:${await scryptHex(PASSWORD.normalize('NFKC'), salt, 16)}`;
    expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
    expect(await service.verify('Tr0ub4dor horse battery?', legacy)).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it('verifies Lucia v1 hashes (salt:keyHex with a text salt, r=8) as Lucia v2/v3 LegacyScrypt do', async () => {
    const salt = luciaSalt();
    const legacy = `${salt}:${await scryptHex(PASSWORD.normalize('NFKC'), salt, 8)}`;
    expect(await service.verify(PASSWORD, legacy)).toEqual({ ok: true, needsRehash: true });
    expect((await service.verify('wrong password here', legacy)).ok).toBe(false);
  });

  it('does not mix up the formats', async () => {
    const salt = randomBytes(16).toString('hex');
    const r8WithHexSalt = `${salt}:${await scryptHex(PASSWORD.normalize('NFKC'), salt, 8)}`;
    expect((await service.verify(PASSWORD, r8WithHexSalt)).ok).toBe(false);
    const text = luciaSalt();
    const r16WithoutPrefix = `${text}:${await scryptHex(PASSWORD.normalize('NFKC'), text, 16)}`;
    expect((await service.verify(PASSWORD, r16WithoutPrefix)).ok).toBe(false);
  });
});
