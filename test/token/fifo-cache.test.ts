import { describe, expect, it } from 'vitest';
import { FifoCache } from '../../src/token/fifo-cache.js';

describe('FifoCache', () => {
  it('holds at most its capacity and drops the oldest insertion first', () => {
    const cache = new FifoCache<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) cache.set(key, i);
    expect(cache.size).toBe(3);
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, undefined]);
    expect([cache.get('c'), cache.get('d'), cache.get('e')]).toEqual([2, 3, 4]);
  });

  it('keeps the place of a key set again, and its new value', () => {
    const cache = new FifoCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c')]).toEqual([2, 3]);
  });

  it('keeps dropping in insertion order over many wrap-arounds', () => {
    const cache = new FifoCache<number, number>(5);
    for (let i = 0; i < 1000; i++) cache.set(i, i);
    expect(cache.size).toBe(5);
    for (let i = 0; i < 995; i++) expect(cache.get(i)).toBeUndefined();
    for (let i = 995; i < 1000; i++) expect(cache.get(i)).toBe(i);
  });

  it('holds nothing with capacity 0 and refuses a capacity that is not a non-negative integer', () => {
    const cache = new FifoCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(() => new FifoCache(-1)).toThrow(RangeError);
    expect(() => new FifoCache(1.5)).toThrow(RangeError);
  });

  it('drops stale entries from the oldest, at most `limit`, stopping at the first fresh one', () => {
    const cache = new FifoCache<string, number>(10);
    for (const [key, value] of [
      ['a', 1],
      ['b', 2],
      ['c', 9],
      ['d', 1],
    ] as const)
      cache.set(key, value);
    cache.dropStale((value) => value < 5, 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
    cache.dropStale((value) => value < 5, 5);
    // `c` is fresh: `d`, though stale, stays behind it.
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, 9, 1]);
    expect(cache.size).toBe(2);
  });

  it('deletes, deletes by predicate and clears; a freed key can be stored again', () => {
    const cache = new FifoCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.delete('b')).toBe(true);
    cache.set('b', 20);
    expect(cache.get('b')).toBe(20);
    // The deleted key's slot was still queued: the oldest insertion made room (never more than 3).
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.deleteWhere((value) => value === 3);
    expect(cache.get('c')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set('z', 26);
    expect(cache.get('z')).toBe(26);
  });
});
