/**
 * The three reads a check makes (one tuple; the userset tuples of `object#relation`; every tuple
 * of `object#relation`), answered synchronously to the relation walk in `walk.ts`, with the
 * request's contextual tuples merged in front of the stored ones.
 *
 * - {@link syncReads}: over a store's {@link SyncTupleReader} (the memory store): the walk runs to
 *   the end without a single `await`.
 * - {@link PrefetchReads}: over an asynchronous store. The walk runs against a per-check cache; a
 *   read the cache does not hold answers "nothing" and is queued. The evaluator then fetches every
 *   queued read at once and walks again, until a walk needs nothing new. That last walk saw real
 *   data at every step, so it decides exactly as a walk awaiting each read in turn would; earlier
 *   walks only discover what to fetch (each round trip fetches every read known to be needed).
 *   A read that failed fails the check (`store_error`) only if the deciding walk uses it. A store
 *   with `readBatch` answers each round with one call (one query), whatever the number of reads
 *   queued; one without it is asked read by read, all at once.
 *
 * @module
 */

import type {
  ObjectRef,
  RelationshipStore,
  RelationshipTuple,
  SubjectRef,
  SyncTupleReader,
  TupleIndex,
  TupleRead,
} from '../relationship-store.js';

/** A store read failed: the check ends as `store_error` (fail closed, OWASP ASVS V4.1.5). Internal. */
export class StoreFailure extends Error {}

/** The reads of one check, answered synchronously. Internal to the evaluator. */
export interface TupleReads {
  tuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined;
  usersets(object: ObjectRef, relation: string): readonly RelationshipTuple[];
  relation(object: ObjectRef, relation: string): readonly RelationshipTuple[];
  /** When the source can: `tuple` for each of `relations` at once, in any order (see `SyncTupleReader.readTuples`). */
  readonly tuples?: (
    object: ObjectRef,
    relations: ReadonlySet<string>,
    subject: SubjectRef,
  ) => readonly RelationshipTuple[];
}

const NONE: readonly RelationshipTuple[] = [];

/** Reads through a synchronous store reader; any throw becomes a {@link StoreFailure}. */
class SyncReads implements TupleReads {
  readonly tuples: TupleReads['tuples'];

  constructor(private readonly reader: SyncTupleReader) {
    const many = reader.readTuples?.bind(reader);
    this.tuples = many
      ? (object, relations, subject) => {
          try {
            return many(object, relations, subject);
          } catch {
            throw new StoreFailure();
          }
        }
      : undefined;
  }

  tuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    try {
      return this.reader.readTuple(object, relation, subject);
    } catch {
      throw new StoreFailure();
    }
  }

  usersets(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    try {
      return this.reader.readUsersets(object, relation);
    } catch {
      throw new StoreFailure();
    }
  }

  relation(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    try {
      return this.reader.readRelation(object, relation);
    } catch {
      throw new StoreFailure();
    }
  }
}

/** Contextual tuples first, then the stored ones (the order the walk has always seen). */
class MergedReads implements TupleReads {
  constructor(
    private readonly contextual: TupleIndex,
    private readonly stored: TupleReads,
  ) {}

  tuple(object: ObjectRef, relation: string, subject: SubjectRef): RelationshipTuple | undefined {
    return this.contextual.get(object, relation, subject) ?? this.stored.tuple(object, relation, subject);
  }

  usersets(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    return [...this.contextual.usersetsView(object, relation), ...this.stored.usersets(object, relation)];
  }

  relation(object: ObjectRef, relation: string): readonly RelationshipTuple[] {
    return [...this.contextual.relationView(object, relation), ...this.stored.relation(object, relation)];
  }
}

/** Reads over a synchronous store reader; stateless, so one serves every check. */
export function syncReads(reader: SyncTupleReader): TupleReads {
  return new SyncReads(reader);
}

/** `reads` with the request's contextual tuples in front, when it has any. */
export function withContextual(reads: TupleReads, contextual: TupleIndex | undefined): TupleReads {
  return contextual ? new MergedReads(contextual, reads) : reads;
}

const FAILED = Symbol('failed');
type Cached = RelationshipTuple | undefined | readonly RelationshipTuple[] | typeof FAILED;

/**
 * The reads of one check over an asynchronous store: served from a cache shared by the walks of
 * that check, queueing what it does not hold (see the module documentation).
 */
export class PrefetchReads {
  private readonly cache = new Map<string, Cached>();
  private pending = new Map<string, TupleRead>();
  /** Set by a walk that used a read whose fetch failed. */
  private failed = false;

  constructor(
    private readonly store: RelationshipStore,
    private readonly contextual: TupleIndex | undefined,
  ) {}

  /** Reads for one walk. A walk that used a failed read throws {@link StoreFailure} at its end via {@link settle}. */
  walkReads(): TupleReads {
    this.failed = false;
    const stored: TupleReads = {
      tuple: (object, relation, subject) =>
        this.get(`t${key(object, relation)}@${subjectKey(subject)}`, () => ({
          kind: 'tuple',
          object,
          relation,
          subject,
        })) as RelationshipTuple | undefined,
      usersets: (object, relation) =>
        (this.get(`u${key(object, relation)}`, () => ({ kind: 'usersets', object, relation })) ??
          NONE) as readonly RelationshipTuple[],
      relation: (object, relation) =>
        (this.get(`r${key(object, relation)}`, () => ({ kind: 'relation', object, relation })) ??
          NONE) as readonly RelationshipTuple[],
    };
    return withContextual(stored, this.contextual);
  }

  /**
   * After a walk: `true` when it decided on real data only (its result stands); throws
   * {@link StoreFailure} when it used a failed read; `false` when it queued reads, which are then
   * fetched (all at once: one `readBatch` when the store has it) before the next walk.
   */
  async settle(): Promise<boolean> {
    if (this.pending.size === 0) {
      if (this.failed) throw new StoreFailure();
      return true;
    }
    const batch = [...this.pending];
    this.pending = new Map();
    const reads = batch.map(([, read]) => read);
    const answers = this.store.readBatch ? await this.fetchBatch(reads) : await this.fetchEach(reads);
    for (const [i, [k]] of batch.entries()) this.cache.set(k, answers[i]!);
    return false;
  }

  /** One `readBatch` call; a failure (or an answer of the wrong length) fails every read of it. */
  private async fetchBatch(reads: readonly TupleRead[]): Promise<Cached[]> {
    try {
      const answers = await this.store.readBatch!(reads);
      if (!Array.isArray(answers) || answers.length !== reads.length) return reads.map(() => FAILED);
      return reads.map((read, i) => {
        const answer = answers[i];
        if (!Array.isArray(answer)) return FAILED;
        return read.kind === 'tuple' ? answer[0] : answer;
      });
    } catch {
      return reads.map(() => FAILED);
    }
  }

  /** The individual reads, all at once; each that fails is failed alone. */
  private fetchEach(reads: readonly TupleRead[]): Promise<Cached[]> {
    return Promise.all(
      reads.map(async (read): Promise<Cached> => {
        try {
          switch (read.kind) {
            case 'tuple':
              return await this.store.readTuple(read.object, read.relation, read.subject);
            case 'usersets':
              return await this.store.readUsersets(read.object, read.relation);
            case 'relation':
              return await this.store.readRelation(read.object, read.relation);
            default:
              return await this.store.read({ subject: read.subject });
          }
        } catch {
          return FAILED;
        }
      }),
    );
  }

  private get(k: string, read: () => TupleRead): Cached {
    if (this.cache.has(k)) {
      const value = this.cache.get(k);
      if (value !== FAILED) return value;
      this.failed = true;
      return undefined;
    }
    if (!this.pending.has(k)) this.pending.set(k, read());
    return undefined;
  }
}

// Ids are free-form, so they are length-prefixed: no two distinct reads share a key.
const key = (object: ObjectRef, relation: string) =>
  `${object.type}:${object.id.length}:${object.id}#${relation}`;
/** A subject as a key part (ids length-prefixed); shared with `object-reads.ts`. */
export const subjectKey = (s: SubjectRef) => `${s.type}:${s.id.length}:${s.id}#${s.relation ?? ''}`;
