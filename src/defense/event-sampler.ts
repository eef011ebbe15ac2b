/**
 * A per-process cap on how often one class of security event is emitted, so that an attack that
 * costs the attacker nothing (forged or expired tokens sent by the thousand) cannot flood the log
 * or the alerting behind it (OWASP ASVS 5.0 V16.3: log security events; V16.4: protect the log),
 * while nothing goes uncounted: every event over the cap is counted and the count rides on the
 * next event of its class that is emitted.
 *
 * Per process on purpose: it guards this process's log volume, needs no store round trip on a
 * failure path an attacker drives, and with N instances the log receives at most N times the cap.
 *
 * @module
 */

/** What to do with one event: emit it or not, and how many of its class were dropped before it. */
export interface SampleDecision {
  readonly emit: boolean;
  /** Events of this class dropped since the last one emitted (meaningful when `emit`). */
  readonly suppressed: number;
}

/** Options of {@link EventSampler}. */
export interface EventSamplerOptions {
  /** Events emitted per class and window; 0 emits none (all are counted and dropped). */
  readonly limit: number;
  /** Window, seconds. */
  readonly window: number;
  /** Classes tracked at once (default 256); beyond it, new classes share one overflow class. */
  readonly maxClasses?: number;
}

interface ClassState {
  windowStart: number;
  emitted: number;
  suppressed: number;
}

/** Key of the class that new classes share once {@link EventSamplerOptions.maxClasses} are tracked. */
const OVERFLOW = '\u0000overflow';

/**
 * Fixed windows per class: the first `limit` events of a class in a window are emitted, the rest
 * dropped and counted; the first event emitted after that carries the count in `suppressed`.
 */
export class EventSampler {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxClasses: number;
  readonly #classes = new Map<string, ClassState>();

  constructor(options: EventSamplerOptions) {
    this.#limit = options.limit;
    this.#windowMs = options.window * 1000;
    this.#maxClasses = Math.max(1, options.maxClasses ?? 256);
  }

  /** Decides for one event of class `key` at `now`, and counts it. */
  admit(key: string, now: Date): SampleDecision {
    const at = now.getTime();
    const state = this.#state(key, at);
    if (at - state.windowStart >= this.#windowMs || at < state.windowStart) {
      state.windowStart = at;
      state.emitted = 0;
    }
    if (state.emitted >= this.#limit) {
      state.suppressed++;
      return { emit: false, suppressed: state.suppressed };
    }
    state.emitted++;
    const suppressed = state.suppressed;
    state.suppressed = 0;
    return { emit: true, suppressed };
  }

  #state(key: string, at: number): ClassState {
    let state = this.#classes.get(key);
    if (state) return state;
    if (this.#classes.size >= this.#maxClasses) {
      // Forget classes whose window has passed with nothing left to report.
      for (const [name, old] of this.#classes) {
        if (old.suppressed === 0 && at - old.windowStart >= this.#windowMs) this.#classes.delete(name);
      }
    }
    const name = this.#classes.size >= this.#maxClasses ? OVERFLOW : key;
    state = this.#classes.get(name);
    if (!state) {
      state = { windowStart: at, emitted: 0, suppressed: 0 };
      this.#classes.set(name, state);
    }
    return state;
  }
}
