import { describe, expect, it } from 'vitest';
import { ConfigError, InputTooLargeError } from '../../src/errors.js';
import { OWASP_ARGON2_PARAMETERS, PasswordService } from '../../src/password/index.js';
import { CHEAP_ARGON2, phcFieldBytes, phcParams, randomPassword } from './helpers.js';

const service = new PasswordService({ argon2: CHEAP_ARGON2 });

describe('PW-08 argon2id at OWASP parameters by default', () => {
  it('hashes with m=19456, t=2, p=1 unless told otherwise', async () => {
    expect(OWASP_ARGON2_PARAMETERS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const defaults = new PasswordService();
    expect(defaults.argon2).toEqual(OWASP_ARGON2_PARAMETERS);
    const hash = await defaults.hash('correct horse battery staple');
    const { algorithm, m, t, p } = phcParams(hash);
    expect(algorithm).toBe('argon2id');
    expect(m).toBeGreaterThanOrEqual(19456);
    expect(t).toBeGreaterThanOrEqual(2);
    expect(p).toBe(1);
    expect(hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(defaults.needsRehash(hash)).toBe(false);
    expect(await defaults.verify('correct horse battery staple', hash)).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it('uses the configured parameters', async () => {
    const hash = await service.hash('correct horse battery staple');
    expect(phcParams(hash)).toMatchObject({ algorithm: 'argon2id', m: 1024, t: 1, p: 1 });
  });

  it('refuses impossible parameters with a ConfigError', () => {
    expect(() => new PasswordService({ argon2: { memoryCost: 4 } })).toThrow(ConfigError);
    expect(() => new PasswordService({ argon2: { timeCost: 0 } })).toThrow(ConfigError);
    expect(() => new PasswordService({ argon2: { parallelism: 1.5 } })).toThrow(ConfigError);
  });
});

describe('PW-09 unique salts of at least 16 bytes', () => {
  it('gives one password two different hashes, each with a >= 16-byte salt', async () => {
    const [a, b] = await Promise.all([
      service.hash('same password twice'),
      service.hash('same password twice'),
    ]);
    expect(a).not.toBe(b);
    expect(phcParams(a).salt).not.toBe(phcParams(b).salt);
    expect(phcFieldBytes(phcParams(a).salt)).toBeGreaterThanOrEqual(16);
    expect(phcFieldBytes(phcParams(b).salt)).toBeGreaterThanOrEqual(16);
  });
});

describe('PW-05 verify exactly as received, after NFC', () => {
  it('rejects a lower-cased password and a trailing space', async () => {
    const hash = await service.hash('Tr0ub4dor horse!');
    expect(await service.verify('Tr0ub4dor horse!', hash)).toEqual({ ok: true, needsRehash: false });
    expect(await service.verify('tr0ub4dor horse!', hash)).toEqual({ ok: false, needsRehash: false });
    expect(await service.verify('Tr0ub4dor horse! ', hash)).toEqual({ ok: false, needsRehash: false });
    expect(await service.verify(' Tr0ub4dor horse!', hash)).toEqual({ ok: false, needsRehash: false });
  });

  it('verifies the NFD spelling of a password set in NFC, and the other way round', async () => {
    const nfc = 'Caf\u00e9 au lait, s\u2019il vous pla\u00eet';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    expect((await service.verify(nfd, await service.hash(nfc))).ok).toBe(true);
    expect((await service.verify(nfc, await service.hash(nfd))).ok).toBe(true);
  });

  it('pins NFC (not NFKC): normalize() and a stored vector', async () => {
    expect(PasswordService.normalize('e\u0301')).toBe('\u00e9');
    expect(PasswordService.normalize('\uFB03')).toBe('\uFB03'); // NFKC would give 'ffi'
    // Made by this code with CHEAP_ARGON2 from 'Caf\u00e9 in the \uFB03ce, 2026' (U+FB03 is the "ffi" ligature).
    const stored =
      '$argon2id$v=19$m=1024,t=1,p=1$UO5rIsHM2e+65bj7TC+GnA$5BKINvvlgaUlp3mCOOGSkd656cozSZIus7Zig8qTLZY';
    expect(await service.verify('Caf\u00e9 in the \uFB03ce, 2026', stored)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await service.verify('Cafe\u0301 in the \uFB03ce, 2026', stored)).ok).toBe(true);
    expect((await service.verify('Caf\u00e9 in the office, 2026', stored)).ok).toBe(false);
  });
});

describe('PW-02 the byte cap comes before any hashing', () => {
  const huge = 'a'.repeat(1024 * 1024);

  it('throws InputTooLargeError synchronously from hash: no promise, so no hasher call was awaited', () => {
    expect(() => service.hash(huge)).toThrow(InputTooLargeError);
  });

  it('throws InputTooLargeError synchronously from verify, even against a valid hash', async () => {
    const hash = await service.hash(randomPassword(20));
    let returned: unknown = 'nothing';
    expect(() => {
      returned = service.verify(huge, hash);
    }).toThrow(InputTooLargeError);
    expect(returned).toBe('nothing');
    // An awaiting caller sees the same error.
    await expect(async () => service.verify(huge, hash)).rejects.toBeInstanceOf(InputTooLargeError);
  });

  it('still hashes and verifies input right at the cap', async () => {
    const svc = new PasswordService({ argon2: CHEAP_ARGON2, policy: { maxBytes: 256 } });
    const atCap = '😀'.repeat(64);
    expect(Buffer.byteLength(atCap)).toBe(256);
    expect((await svc.verify(atCap, await svc.hash(atCap))).ok).toBe(true);
    expect(() => svc.hash(`${atCap}a`)).toThrow(InputTooLargeError);
  });
});

describe('PW-11 pepper', () => {
  const pepper = 'a pepper kept in the environment, not the database';

  it('a hash made with the pepper does not verify without it, or with another pepper', async () => {
    const peppered = new PasswordService({ argon2: CHEAP_ARGON2, pepper });
    const hash = await peppered.hash('correct horse battery staple');
    expect(phcParams(hash).algorithm).toBe('argon2id');
    expect(await peppered.verify('correct horse battery staple', hash)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await service.verify('correct horse battery staple', hash)).ok).toBe(false);
    const other = new PasswordService({ argon2: CHEAP_ARGON2, pepper: new Uint8Array(32).fill(7) });
    expect((await other.verify('correct horse battery staple', hash)).ok).toBe(false);
  });

  it('accepts bytes, normalizes before peppering, and refuses a short pepper', async () => {
    const bytes = new PasswordService({ argon2: CHEAP_ARGON2, pepper: new Uint8Array(32).fill(9) });
    expect(
      (await bytes.verify('Cafe\u0301 noir bien chaud', await bytes.hash('Caf\u00e9 noir bien chaud'))).ok,
    ).toBe(true);
    expect(() => new PasswordService({ pepper: 'short' })).toThrow(ConfigError);
    expect(() => new PasswordService({ pepper: '' })).toThrow(ConfigError);
  });

  it('is not applied to hashes made without it (they stop verifying: a pepper change is a migration)', async () => {
    const hash = await service.hash('correct horse battery staple');
    const peppered = new PasswordService({ argon2: CHEAP_ARGON2, pepper });
    expect((await peppered.verify('correct horse battery staple', hash)).ok).toBe(false);
  });
});

describe('unrecognized hashes', () => {
  const garbage = [
    '',
    'garbage',
    '$argon2id$v=19$m=1024,t=1,p=1$AAAA$AAAA',
    '$argon2id$v=19$m=1024,t=1,p=1$UO5rIsHM2e+65bj7TC+GnA$',
    '$argon2id$v=19$m=1024,t=1,p=1$UO5rIsHM2e+65bj7TC+GnA$5BKINvvlgaUlp3mCOOGSkd656cozSZIus7Zig8qTLZ',
    '$argon2x$v=19$m=1024,t=1,p=1$UO5rIsHM2e+65bj7TC+GnA$5BKINvvlgaUlp3mCOOGSkd656cozSZIus7Zig8qTLZY',
    '$2b$04$tooShort',
    '$2x$04$abcdefghijklmnopqrstuuSr3zlzpsgbGBkzKuFgp8JE1BHs/GTdG',
    `$2b$04$${'!'.repeat(53)}`,
    's2:abc:def',
    `s3:abcdefghijklmnop:${'0'.repeat(128)}`,
    `${'a'.repeat(32)}:${'0'.repeat(127)}`,
    `${'$'.repeat(32)}:${'0'.repeat(128)}`,
    'x'.repeat(10_000),
    'plaintext password',
  ];

  it('returns ok:false without throwing', async () => {
    for (const hash of garbage) {
      expect(await service.verify('plaintext password', hash)).toEqual({ ok: false, needsRehash: false });
    }
    for (const hash of [null, undefined, 42, {}] as unknown as string[]) {
      expect(await service.verify('plaintext password', hash)).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('reports that anything but a current argon2id hash needs a rehash', async () => {
    expect(service.needsRehash(await service.hash('a current hash here'))).toBe(false);
    for (const hash of garbage) expect(service.needsRehash(hash)).toBe(true);
  });
});

describe('dummyVerify', () => {
  it('always resolves, for any input', async () => {
    await expect(service.dummyVerify('some password')).resolves.toBeUndefined();
    await expect(service.dummyVerify('some password')).resolves.toBeUndefined();
    await expect(service.dummyVerify('a'.repeat(1024 * 1024))).resolves.toBeUndefined();
    await expect(service.dummyVerify(null as unknown as string)).resolves.toBeUndefined();
    const peppered = new PasswordService({ argon2: CHEAP_ARGON2, pepper: new Uint8Array(32) });
    await expect(peppered.dummyVerify('some password')).resolves.toBeUndefined();
  });

  it('shares one cached dummy hash between concurrent callers', async () => {
    const fresh = new PasswordService({ argon2: CHEAP_ARGON2 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => fresh.dummyVerify(`password ${i}`)),
    );
    expect(results).toEqual(Array(8).fill(undefined));
  });
});
