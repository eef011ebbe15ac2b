/**
 * MF-01 to MF-03: TOTP against the RFC 6238 Appendix B vectors (all 18 rows, 64-bit T), the
 * derived 6-digit codes, window edges, input refusal, secret size, enrolment URI and QR code.
 */
import { Secret, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import {
  generateTotpSecret,
  type TotpAlgorithm,
  totpCode,
  totpQrDataUrl,
  totpQrSvg,
  totpStep,
  totpUri,
  verifyTotp,
} from '../../src/mfa/index.js';

const SEEDS: Record<TotpAlgorithm, Uint8Array> = {
  SHA1: Buffer.from('3132333435363738393031323334353637383930', 'hex'),
  SHA256: Buffer.from('3132333435363738393031323334353637383930313233343536373839303132', 'hex'),
  SHA512: Buffer.from(
    '31323334353637383930313233343536373839303132333435363738393031323334353637383930313233343536373839303132333435363738393031323334',
    'hex',
  ),
};

/** RFC 6238 Appendix B: time (s), T (hex), TOTP, mode. */
const VECTORS: readonly [number, string, string, TotpAlgorithm][] = [
  [59, '0000000000000001', '94287082', 'SHA1'],
  [59, '0000000000000001', '46119246', 'SHA256'],
  [59, '0000000000000001', '90693936', 'SHA512'],
  [1111111109, '00000000023523EC', '07081804', 'SHA1'],
  [1111111109, '00000000023523EC', '68084774', 'SHA256'],
  [1111111109, '00000000023523EC', '25091201', 'SHA512'],
  [1111111111, '00000000023523ED', '14050471', 'SHA1'],
  [1111111111, '00000000023523ED', '67062674', 'SHA256'],
  [1111111111, '00000000023523ED', '99943326', 'SHA512'],
  [1234567890, '000000000273EF07', '89005924', 'SHA1'],
  [1234567890, '000000000273EF07', '91819424', 'SHA256'],
  [1234567890, '000000000273EF07', '93441116', 'SHA512'],
  [2000000000, '0000000003F940AA', '69279037', 'SHA1'],
  [2000000000, '0000000003F940AA', '90698825', 'SHA256'],
  [2000000000, '0000000003F940AA', '38618901', 'SHA512'],
  [20000000000, '0000000027BC86AA', '65353130', 'SHA1'],
  [20000000000, '0000000027BC86AA', '77737706', 'SHA256'],
  [20000000000, '0000000027BC86AA', '47863826', 'SHA512'],
];

/** Derived 6-digit SHA1 codes (code mod 10^6) for the six times above. */
const SIX_DIGIT_SHA1: readonly [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

/** The SHA1 seed "12345678901234567890" in base32, the form secrets are stored in. */
const SHA1_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const at = (seconds: number) => new Date(seconds * 1000);

describe('RFC 6238 Appendix B vectors (MF-01)', () => {
  it('has all 18 rows', () => {
    expect(VECTORS).toHaveLength(18);
    expect(new Set(VECTORS.map(([time, , , mode]) => `${time}/${mode}`)).size).toBe(18);
  });

  it.each(VECTORS)('time %d (T=%s) gives %s with %s', (time, tHex, code, algorithm) => {
    const step = totpStep(at(time));
    expect(step).toBe(Number.parseInt(tHex, 16));
    expect(totpCode(SEEDS[algorithm], step, { algorithm, digits: 8 })).toBe(code);
    expect(verifyTotp({ secret: SEEDS[algorithm], code, now: at(time), algorithm, digits: 8 })).toBe(step);
    expect(
      verifyTotp({ secret: SEEDS[algorithm], code, now: at(time), algorithm, digits: 8, window: 0 }),
    ).toBe(step);
  });

  it('keeps T whole past 2^32 seconds (no 32-bit truncation)', () => {
    expect(20000000000).toBeGreaterThan(2 ** 32);
    expect(totpStep(at(20000000000))).toBe(0x27bc86aa);
    // A step above 2^32 is also computed with the full 64-bit counter.
    const big = 2 ** 32 + 5;
    expect(totpCode(SEEDS.SHA1, big, { digits: 8 })).not.toBe(totpCode(SEEDS.SHA1, 5, { digits: 8 }));
  });

  it.each(SIX_DIGIT_SHA1)('6-digit SHA1 at time %d is %s', (time, code) => {
    const step = totpStep(at(time));
    expect(totpCode(SEEDS.SHA1, step)).toBe(code);
    expect(totpCode(SHA1_SEED_BASE32, step)).toBe(code);
    expect(verifyTotp({ secret: SHA1_SEED_BASE32, code, now: at(time) })).toBe(step);
  });

  it('accepts the secret as base32 (any case) or bytes alike', () => {
    expect(totpCode(SHA1_SEED_BASE32.toLowerCase(), 1, { digits: 8 })).toBe('94287082');
    expect(totpCode(SEEDS.SHA1, 1, { digits: 8 })).toBe('94287082');
  });
});

describe('verification window (MF-03)', () => {
  const secret = SHA1_SEED_BASE32;
  const now = at(1234567890);
  const current = totpStep(now);
  const codeAt = (step: number) => totpCode(secret, step);

  it('accepts T-1, T and T+1 with the default window of 1 and returns the matched step', () => {
    expect(verifyTotp({ secret, code: codeAt(current - 1), now })).toBe(current - 1);
    expect(verifyTotp({ secret, code: codeAt(current), now })).toBe(current);
    expect(verifyTotp({ secret, code: codeAt(current + 1), now })).toBe(current + 1);
    expect(verifyTotp({ secret, code: codeAt(current + 1), now, window: 1 })).toBe(current + 1);
  });

  it('refuses T-2 and T+2 with window 1', () => {
    expect(verifyTotp({ secret, code: codeAt(current - 2), now })).toBeNull();
    expect(verifyTotp({ secret, code: codeAt(current + 2), now })).toBeNull();
  });

  it('accepts only T with window 0', () => {
    expect(verifyTotp({ secret, code: codeAt(current), now, window: 0 })).toBe(current);
    expect(verifyTotp({ secret, code: codeAt(current - 1), now, window: 0 })).toBeNull();
    expect(verifyTotp({ secret, code: codeAt(current + 1), now, window: 0 })).toBeNull();
  });

  it('throws for a window above 1, negative or fractional', () => {
    for (const window of [2, 10, -1, 0.5, Number.NaN]) {
      expect(() => verifyTotp({ secret, code: codeAt(current), now, window })).toThrow(RangeError);
    }
  });

  it('uses step boundaries of the server time given', () => {
    const lastMsOfStep = new Date((current + 1) * 30_000 - 1);
    const firstMsOfNext = new Date((current + 1) * 30_000);
    expect(totpStep(lastMsOfStep)).toBe(current);
    expect(totpStep(firstMsOfNext)).toBe(current + 1);
    expect(verifyTotp({ secret, code: codeAt(current - 1), now: lastMsOfStep })).toBe(current - 1);
    expect(verifyTotp({ secret, code: codeAt(current - 1), now: firstMsOfNext })).toBeNull();
  });

  it('honours a non-default period', () => {
    const step60 = totpStep(now, 60);
    expect(step60).toBe(Math.floor(1234567890 / 60));
    const code = totpCode(secret, step60);
    expect(verifyTotp({ secret, code, now, period: 60 })).toBe(step60);
  });

  it('throws on an invalid date, parameters or secret', () => {
    const code = codeAt(current);
    expect(() => verifyTotp({ secret, code, now: new Date(Number.NaN) })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code, now, digits: 5 })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code, now, period: 0 })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code, now, algorithm: 'MD5' as TotpAlgorithm })).toThrow(TypeError);
    expect(() => verifyTotp({ secret: 'not base32!', code, now })).toThrow(TypeError);
    // 10 bytes is below the 128-bit floor of RFC 4226 §4 R6.
    expect(() => verifyTotp({ secret: 'GEZDGNBVGY3TQOJQ', code, now })).toThrow(RangeError);
  });
});

describe('code input (MF-02)', () => {
  const secret = SHA1_SEED_BASE32;
  const now = at(59);
  const good = totpCode(secret, totpStep(now));

  it('refuses non-digit, short, long and padded input without throwing', () => {
    const bad = [
      '',
      good.slice(0, 5),
      `${good}0`,
      ` ${good}`,
      `${good} `,
      `${good.slice(0, 3)} ${good.slice(3)}`,
      `${good.slice(0, 5)}a`,
      `+${good.slice(1)}`,
      '１２３４５６',
      '٠١٢٣٤٥',
      '1e5000',
      totpCode(secret, totpStep(now), { digits: 8 }),
    ];
    for (const code of bad) expect(verifyTotp({ secret, code, now })).toBeNull();
    for (const code of [123456, null, undefined, ['287082'], { code: good }]) {
      expect(verifyTotp({ secret, code: code as unknown as string, now })).toBeNull();
    }
  });

  it('refuses a wrong code of the right shape', () => {
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp({ secret, code: wrong, now })).toBeNull();
  });
});

describe('secret generation (MF-02)', () => {
  it('makes a base32 secret that decodes to at least 20 bytes', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(secret).bytes.length).toBeGreaterThanOrEqual(20);
  });

  it('honours a larger size and refuses one under 160 bits', () => {
    expect(Secret.fromBase32(generateTotpSecret(32)).bytes.length).toBe(32);
    expect(() => generateTotpSecret(16)).toThrow(RangeError);
    expect(() => generateTotpSecret(19)).toThrow(RangeError);
    expect(() => generateTotpSecret(20.5)).toThrow(RangeError);
    expect(() => generateTotpSecret(65)).toThrow(RangeError);
  });

  it('never repeats', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateTotpSecret()));
    expect(secrets.size).toBe(1000);
  });

  it('round-trips: a generated secret verifies its own code', () => {
    const secret = generateTotpSecret();
    const now = new Date();
    expect(verifyTotp({ secret, code: totpCode(secret, totpStep(now)), now })).toBe(totpStep(now));
  });
});

describe('enrolment URI and QR code', () => {
  const secret = SHA1_SEED_BASE32;

  it('builds an otpauth://totp URI with the issuer and account label encoded', () => {
    const uri = totpUri({ secret, accountName: 'alice@example.com', issuer: 'Acme Corp' });
    expect(uri.startsWith('otpauth://totp/Acme%20Corp:alice%40example.com?')).toBe(true);
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('Acme Corp');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });

  it('encodes reserved and non-ASCII characters, and round-trips through a URI parser', () => {
    const uri = totpUri({
      secret,
      accountName: 'bob+mfa@example.com',
      issuer: 'Zürich & Co/?#',
      algorithm: 'SHA256',
      digits: 8,
      period: 60,
    });
    expect(uri).toContain('otpauth://totp/Z%C3%BCrich%20%26%20Co%2F%3F%23:bob%2Bmfa%40example.com?');
    const parsed = URI.parse(uri);
    expect(parsed.issuer).toBe('Zürich & Co/?#');
    expect(parsed.label).toBe('bob+mfa@example.com');
    expect(parsed.algorithm).toBe('SHA256');
    expect(parsed.digits).toBe(8);
    expect('period' in parsed && parsed.period).toBe(60);
    expect(parsed.secret.base32).toBe(secret);
  });

  it('refuses a colon, control characters or an empty label part', () => {
    expect(() => totpUri({ secret, accountName: 'a:b', issuer: 'Acme' })).toThrow(TypeError);
    expect(() => totpUri({ secret, accountName: 'alice', issuer: 'Acme:Evil' })).toThrow(TypeError);
    expect(() => totpUri({ secret, accountName: 'alice\n', issuer: 'Acme' })).toThrow(TypeError);
    expect(() => totpUri({ secret, accountName: '', issuer: 'Acme' })).toThrow(TypeError);
    expect(() => totpUri({ secret, accountName: 'alice', issuer: '' })).toThrow(TypeError);
  });

  it('renders the URI as an SVG and as an SVG data URL', async () => {
    const uri = totpUri({ secret, accountName: 'alice@example.com', issuer: 'Acme' });
    const svg = await totpQrSvg(uri);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toContain(secret);
    const dataUrl = await totpQrDataUrl(uri);
    expect(dataUrl.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(dataUrl.split(',')[1]!, 'base64').toString('utf8')).toBe(svg);
  });

  it('refuses to render anything but an otpauth://totp URI', async () => {
    await expect(totpQrSvg('https://evil.example/')).rejects.toThrow(TypeError);
  });
});
