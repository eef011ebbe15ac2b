/**
 * Opaque pagination cursors of the reverse queries ({@link listResources}, {@link listSubjects}).
 *
 * A cursor is base64url JSON holding a format version, the query kind, a fingerprint of the query
 * and the last id returned. It is a position, not a credential: every result is confirmed by a
 * check, so a forged cursor can only move the page window. A cursor used with another query (a
 * different subject, action, type or resource) or a malformed one is refused with
 * {@link InvalidCursorError}.
 *
 * @module
 */

import { createHash } from 'node:crypto';

/** Thrown for a cursor that is malformed or belongs to a different query. */
export class InvalidCursorError extends Error {
  constructor(message: string) {
    super(`invalid cursor: ${message}`);
    this.name = 'InvalidCursorError';
  }
}

/** The kind of reverse query a cursor belongs to. */
export type CursorKind = 'resources' | 'subjects';

interface CursorPayload {
  readonly v: 1;
  readonly k: CursorKind;
  readonly q: string;
  readonly a: string;
}

/** A short, stable fingerprint of the query parts (they are joined unambiguously with JSON). */
export function queryFingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

/** Encodes a cursor: results continue strictly after `after` in id order. */
export function encodeCursor(kind: CursorKind, fingerprint: string, after: string): string {
  const payload: CursorPayload = { v: 1, k: kind, q: fingerprint, a: after };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Decodes a cursor of `kind` for the query `fingerprint`; returns the id to continue after. */
export function decodeCursor(cursor: string, kind: CursorKind, fingerprint: string): string {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 2048) {
    throw new InvalidCursorError('not a cursor string');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor');
  }
  if (typeof payload !== 'object' || payload === null) throw new InvalidCursorError('not a cursor');
  const { v, k, q, a } = payload as Partial<CursorPayload>;
  if (v !== 1 || typeof a !== 'string' || typeof q !== 'string') throw new InvalidCursorError('not a cursor');
  if (k !== kind || q !== fingerprint) throw new InvalidCursorError('it belongs to a different query');
  return a;
}
