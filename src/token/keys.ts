/**
 * Signing and verification keys for access tokens: one algorithm family per configuration
 * (HMAC *or* asymmetric, RFC 8725 §3.1), one algorithm per key, keys looked up by exact `kid`,
 * rotation by listing several keys, and a JWKS document of the public keys only.
 *
 * Key material is parsed and checked synchronously at start-up with `node:crypto`, so a bad key
 * fails `createGatehouse` with a message naming the field. Each key's signature check is prepared
 * then, over its `KeyObject` (`signature.ts`: synchronous `node:crypto`); the WebCrypto
 * `CryptoKey` that jose signs with is imported once, on first use, and cached. HMAC
 * secrets must be at least as long as the hash output and random by estimate (RFC 7518 §3.2,
 * RFC 8725 §3.5; see `secret-strength.ts`).
 *
 * A set of public keys only is a **verify-only** key set, for a resource server that checks tokens
 * another service issues: it loads (`createGatehouse` starts), verifies, and publishes its JWKS,
 * and signing with it throws {@link SigningNotConfiguredError} (501).
 *
 * @module
 */
import { createPrivateKey, createPublicKey, createSecretKey, type JsonWebKey, KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { SigningNotConfiguredError } from '../errors.js';
import { weakSecretReason } from './secret-strength.js';
import { type SignatureCheck, signatureCheck } from './signature.js';

/** The JWS algorithms gatehouse signs and verifies with. `none` is not one of them, in any spelling. */
export const JWS_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'EdDSA', 'ES256', 'RS256'] as const;

/** A JWS algorithm gatehouse supports. */
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

/** Key material accepted in configuration for asymmetric algorithms: PEM text, a `KeyObject`, or a JWK. */
export type AsymmetricKeyInput = string | KeyObject | JWK;

/** One configured key. */
export interface KeyConfig {
  /** Key id, published in the JWKS and put in the token header. Matched exactly. */
  readonly kid: string;
  /** The one algorithm this key is used with. */
  readonly alg: JwsAlgorithm;
  /**
   * HMAC secret (HS*): random bytes, at least as many as the hash output (32 for HS256), raw or as
   * text (e.g. `openssl rand -base64 32`). Hand-made secrets are refused at start-up.
   */
  readonly secret?: string | Uint8Array;
  /**
   * Private key (asymmetric). Omit to keep a retired public key for verification only; a set
   * without any private key is verify-only (a resource server).
   */
  readonly privateKey?: AsymmetricKeyInput;
  /** Public key (asymmetric). Derived from `privateKey` when omitted. */
  readonly publicKey?: AsymmetricKeyInput;
}

/**
 * A key that verifies tokens: its one algorithm, the `node:crypto` key, and its prepared
 * signature check (synchronous, see `signature.ts`).
 */
export interface VerificationKey {
  readonly alg: JwsAlgorithm;
  readonly keyObject: KeyObject;
  /** Checks a compact JWS signature made with this key and algorithm. */
  readonly verify: SignatureCheck;
}

/** A configuration problem found while loading keys: the field path and what is wrong. */
export interface KeyIssue {
  readonly path: string;
  readonly message: string;
}

interface LoadedKey {
  readonly kid: string | undefined;
  readonly alg: JwsAlgorithm;
  readonly verifyKey: KeyObject;
  readonly signKey: KeyObject | undefined;
  signCryptoKey?: Promise<CryptoKey>;
  /** What {@link KeySet.lookup} hands out for this key: built once. */
  verification?: VerificationKey;
}

const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

function isHmac(alg: JwsAlgorithm): boolean {
  return alg.startsWith('HS');
}

function toKeyObject(input: AsymmetricKeyInput, want: 'private' | 'public'): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type === 'secret') throw new Error('a secret key cannot be used with an asymmetric algorithm');
    if (want === 'private' && input.type !== 'private') throw new Error('expected a private key');
    return want === 'public' && input.type === 'private' ? createPublicKey(input) : input;
  }
  if (typeof input === 'string') {
    return want === 'private' ? createPrivateKey(input) : createPublicKey(input);
  }
  if (typeof input === 'object' && input !== null && typeof input.kty === 'string') {
    if (input.kty === 'oct') throw new Error('a symmetric JWK cannot be used with an asymmetric algorithm');
    const key = { key: input as JsonWebKey, format: 'jwk' as const };
    if (want === 'private') return createPrivateKey(key);
    return 'd' in input ? createPublicKey(createPrivateKey(key)) : createPublicKey(key);
  }
  throw new Error('expected PEM text, a KeyObject or a JWK');
}

function checkAsymmetricType(key: KeyObject, alg: JwsAlgorithm): string | null {
  const type = key.asymmetricKeyType;
  switch (alg) {
    case 'EdDSA':
      return type === 'ed25519' ? null : 'EdDSA needs an Ed25519 key';
    case 'ES256':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
        ? null
        : 'ES256 needs an EC P-256 key';
    case 'RS256':
      return type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
        ? null
        : 'RS256 needs an RSA key of at least 2048 bits';
    default:
      return `${alg} is not an asymmetric algorithm`;
  }
}

function loadHmacKey(config: KeyConfig, path: string, issues: KeyIssue[]): KeyObject | undefined {
  const { secret } = config;
  if (config.privateKey !== undefined || config.publicKey !== undefined) {
    issues.push({ path, message: 'an HMAC key takes `secret`, never private or public key material' });
    return undefined;
  }
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
    issues.push({ path: `${path}.secret`, message: 'required for HMAC algorithms (a string or Uint8Array)' });
    return undefined;
  }
  if (typeof secret === 'string' && secret.includes('-----BEGIN')) {
    issues.push({ path: `${path}.secret`, message: 'key material (PEM) cannot be used as an HMAC secret' });
    return undefined;
  }
  const reason = weakSecretReason(secret, { minBytes: HMAC_MIN_BYTES[config.alg] ?? 32 });
  if (reason) {
    issues.push({ path: `${path}.secret`, message: `${config.alg} secret ${reason}` });
    return undefined;
  }
  return createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret));
}

function loadAsymmetricKeys(
  config: KeyConfig,
  path: string,
  issues: KeyIssue[],
): { verifyKey: KeyObject; signKey: KeyObject | undefined } | undefined {
  if (config.secret !== undefined) {
    issues.push({
      path: `${path}.secret`,
      message: `${config.alg} takes privateKey/publicKey, not a secret`,
    });
    return undefined;
  }
  try {
    const signKey = config.privateKey === undefined ? undefined : toKeyObject(config.privateKey, 'private');
    const source = config.publicKey ?? config.privateKey;
    if (source === undefined) {
      issues.push({ path, message: 'needs privateKey or publicKey' });
      return undefined;
    }
    const verifyKey =
      config.publicKey === undefined && signKey ? createPublicKey(signKey) : toKeyObject(source, 'public');
    for (const [key, field] of [
      [signKey, 'privateKey'],
      [verifyKey, 'publicKey'],
    ] as const) {
      const problem = key ? checkAsymmetricType(key, config.alg) : null;
      if (problem) {
        issues.push({ path: `${path}.${field}`, message: problem });
        return undefined;
      }
    }
    return { verifyKey, signKey };
  } catch (error) {
    issues.push({ path, message: `unreadable key: ${(error as Error).message}` });
    return undefined;
  }
}

/** The WebCrypto key jose signs with, imported once from the `KeyObject`. */
async function importSigningKey(key: KeyObject, alg: JwsAlgorithm): Promise<CryptoKey> {
  if (key.type === 'secret') {
    const hash = `SHA-${alg.slice(2)}`;
    return crypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash }, false, ['sign']);
  }
  const imported = await importJWK(key.export({ format: 'jwk' }) as JWK, alg);
  return imported as CryptoKey;
}

function verificationKey(loaded: LoadedKey): VerificationKey {
  return {
    alg: loaded.alg,
    keyObject: loaded.verifyKey,
    verify: signatureCheck(loaded.alg, loaded.verifyKey),
  };
}

/** The fields of a public JWK that may be published; nothing private (`d`, `p`, `q`, `k`, ...) ever is. */
const PUBLIC_JWK_FIELDS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * The loaded keys of one configuration. Build it with {@link loadKeySet}; it never holds keys of
 * two algorithm families, and every key has exactly one algorithm. Without a private key it is
 * verify-only: {@link KeySet.canSign} is false and signing throws {@link SigningNotConfiguredError}.
 */
export class KeySet {
  /** The allowlist of algorithms a token header may name. */
  readonly algorithms: readonly JwsAlgorithm[];
  readonly #signing: LoadedKey | undefined;
  readonly #byKid: Map<string, LoadedKey>;
  readonly #unnamed: LoadedKey | undefined;

  /** @internal use {@link loadKeySet}. */
  constructor(keys: LoadedKey[], signing: LoadedKey | undefined) {
    this.#signing = signing;
    this.#byKid = new Map();
    for (const key of keys) if (key.kid !== undefined) this.#byKid.set(key.kid, key);
    this.#unnamed = keys.find((k) => k.kid === undefined);
    this.algorithms = [...new Set(keys.map((k) => k.alg))];
  }

  /** Whether this set can sign: false for a verify-only set (public keys only). */
  get canSign(): boolean {
    return this.#signing !== undefined;
  }

  /**
   * Throws {@link SigningNotConfiguredError} unless this set can sign. Call it before any work
   * whose result is a token (records written, refresh tokens rotated), so that a verify-only set
   * fails before changing anything.
   */
  assertCanSign(): void {
    this.#signingKeyOrThrow();
  }

  #signingKeyOrThrow(): LoadedKey & { signKey: KeyObject } {
    const key = this.#signing;
    if (key?.signKey === undefined) throw new SigningNotConfiguredError();
    return key as LoadedKey & { signKey: KeyObject };
  }

  /** Algorithm and `kid` to put in the header of a newly signed token; throws {@link SigningNotConfiguredError} when verify-only. */
  get signingHeader(): { alg: JwsAlgorithm; kid?: string } {
    const { alg, kid } = this.#signingKeyOrThrow();
    return kid === undefined ? { alg } : { alg, kid };
  }

  /** The WebCrypto key that signs new tokens (imported once); rejects with {@link SigningNotConfiguredError} when verify-only. */
  async signingKey(): Promise<CryptoKey> {
    const key = this.#signingKeyOrThrow();
    key.signCryptoKey ??= importSigningKey(key.signKey, key.alg);
    return key.signCryptoKey;
  }

  /**
   * The verification key a token header names, or `undefined` when it names no key we hold.
   * `kid` is an untrusted string and only ever used for an exact `Map` lookup; a header whose
   * `alg` differs from the key's one algorithm gets no key.
   */
  lookup(header: { alg?: unknown; kid?: unknown }): VerificationKey | undefined {
    let key: LoadedKey | undefined;
    if (header.kid === undefined) key = this.#unnamed;
    else if (typeof header.kid === 'string') key = this.#byKid.get(header.kid);
    if (!key || header.alg !== key.alg) return undefined;
    key.verification ??= verificationKey(key);
    return key.verification;
  }

  /** The JWKS document (RFC 7517 §5): public keys only, each with `kid`, `alg` and `use`. Empty for HMAC. */
  jwks(): { keys: Record<string, string>[] } {
    const keys: Record<string, string>[] = [];
    for (const key of this.#byKid.values()) {
      if (key.verifyKey.type !== 'public') continue;
      const full = key.verifyKey.export({ format: 'jwk' }) as Record<string, unknown>;
      const jwk: Record<string, string> = {};
      for (const field of PUBLIC_JWK_FIELDS) if (typeof full[field] === 'string') jwk[field] = full[field];
      keys.push({ ...jwk, kid: key.kid as string, alg: key.alg, use: 'sig' });
    }
    return { keys };
  }
}

/**
 * Loads and checks keys. `secret` is the HS256 shorthand (no `kid`); `keys` is the general form.
 * Returns the key set, or the list of problems, each naming its configuration path.
 *
 * The signing key is the one `signingKeyId` names (it must have private material), else the first
 * with private material. Asymmetric keys without any private material give a verify-only set.
 */
export function loadKeySet(input: {
  secret?: string | Uint8Array | undefined;
  keys?: readonly KeyConfig[] | undefined;
  signingKeyId?: string | undefined;
  path: string;
}): KeySet | KeyIssue[] {
  const issues: KeyIssue[] = [];
  const { path } = input;
  if ((input.secret === undefined) === (input.keys === undefined || input.keys.length === 0)) {
    return [
      { path: `${path}.secret`, message: 'configure exactly one of `secret` (HS256) or a non-empty `keys`' },
    ];
  }
  const configs: (KeyConfig & { kid: string | undefined })[] =
    input.secret !== undefined
      ? [{ kid: undefined as unknown as string, alg: 'HS256', secret: input.secret }]
      : [...(input.keys ?? [])];
  const families = new Set(configs.map((k) => (isHmac(k.alg) ? 'hmac' : 'asymmetric')));
  if (families.size > 1) {
    return [{ path: `${path}.keys`, message: 'mixes HMAC and asymmetric algorithms; use one family only' }];
  }
  const loaded: LoadedKey[] = [];
  const seen = new Set<string>();
  configs.forEach((config, index) => {
    const keyPath = input.secret !== undefined ? path : `${path}.keys.${index}`;
    if (!(JWS_ALGORITHMS as readonly string[]).includes(config.alg)) {
      issues.push({ path: `${keyPath}.alg`, message: `must be one of ${JWS_ALGORITHMS.join(', ')}` });
      return;
    }
    if (config.kid !== undefined) {
      if (typeof config.kid !== 'string' || config.kid.length === 0 || config.kid.length > 128) {
        issues.push({
          path: `${keyPath}.kid`,
          message: 'must be a non-empty string of at most 128 characters',
        });
        return;
      }
      if (seen.has(config.kid))
        issues.push({ path: `${keyPath}.kid`, message: `duplicate kid "${config.kid}"` });
      seen.add(config.kid);
    }
    if (isHmac(config.alg)) {
      const key = loadHmacKey(config, keyPath, issues);
      if (key) loaded.push({ kid: config.kid, alg: config.alg, verifyKey: key, signKey: key });
    } else {
      const keys = loadAsymmetricKeys(config, keyPath, issues);
      if (keys) loaded.push({ kid: config.kid, alg: config.alg, ...keys });
    }
  });
  if (issues.length > 0) return issues;
  if (input.signingKeyId === undefined) {
    return new KeySet(
      loaded,
      loaded.find((k) => k.signKey !== undefined),
    );
  }
  const signing = loaded.find((k) => k.kid === input.signingKeyId);
  if (!signing?.signKey) {
    return [
      {
        path: `${path}.signingKeyId`,
        message: `names no key with private material ("${input.signingKeyId}"); omit it for a verify-only key set`,
      },
    ];
  }
  return new KeySet(loaded, signing);
}
