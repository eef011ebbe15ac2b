import { randomInt } from 'node:crypto';

/** Cheap argon2id parameters for tests that are not about cost. */
export const CHEAP_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** `length` random ASCII letters and digits from the CSPRNG. */
export function randomPassword(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** Decoded length of an unpadded base64 PHC field. */
export function phcFieldBytes(field: string): number {
  return Buffer.from(field, 'base64').length;
}

/** The `m`, `t`, `p` and algorithm of an argon2 PHC string. */
export function phcParams(hash: string): {
  algorithm: string;
  m: number;
  t: number;
  p: number;
  salt: string;
} {
  const match = /^\$(argon2(?:id|i|d))\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(hash);
  if (match === null) throw new Error(`not an argon2 PHC string: ${hash}`);
  return {
    algorithm: match[1]!,
    m: Number(match[2]),
    t: Number(match[3]),
    p: Number(match[4]),
    salt: match[5]!,
  };
}
