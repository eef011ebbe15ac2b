import { describe, expect, it } from 'vitest';
import { MemoryCounterStore, MemoryMfaRepository, MemoryStateStore } from '../../src/storage/memory.js';
import { addMs, buildTotpRecord, CONTRACT_EPOCH } from '../../src/testing.js';

const MINUTE = 60_000;

describe('memory state store: expired values are dropped lazily', () => {
  it('a read that finds an expired value drops it', async () => {
    const store = new MemoryStateStore();
    await store.set('k', 'v', addMs(CONTRACT_EPOCH, MINUTE));
    await store.set('forever', 'v', null);
    expect(store.size).toBe(2);
    expect(await store.get('k', addMs(CONTRACT_EPOCH, MINUTE))).toBeNull();
    expect(store.size).toBe(1);
  });

  it('stays bounded when expiring values are written and never read', async () => {
    const store = new MemoryStateStore();
    let now = CONTRACT_EPOCH;
    for (let i = 0; i < 50_000; i++) {
      now = addMs(now, 1_000);
      await store.set(`reset:${i}`, 'v', addMs(now, MINUTE));
      // The service reads something now and then, which tells the store the time.
      if (i % 100 === 0) await store.get('unrelated', now);
    }
    // About 60 live values plus at most one growth factor of not yet swept ones.
    expect(store.size).toBeLessThanOrEqual(2_200);
    expect(await store.get('reset:49999', now)).toBe('v');
    expect(await store.get('reset:0', now)).toBeNull();
  });

  it('a sweep never drops a live value or one without expiry', async () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 5_000; i++)
      await store.set(`live:${i}`, 'v', i % 2 === 0 ? null : addMs(CONTRACT_EPOCH, MINUTE));
    await store.get('live:0', CONTRACT_EPOCH);
    for (let i = 0; i < 5_000; i++) await store.set(`more:${i}`, 'v', null);
    expect(store.size).toBe(10_000);
    expect(await store.deleteExpired(addMs(CONTRACT_EPOCH, MINUTE))).toBe(2_500);
  });
});

describe('memory counter store', () => {
  it('stays bounded when many keys are counted once', async () => {
    const counters = new MemoryCounterStore();
    let now = CONTRACT_EPOCH;
    for (let i = 0; i < 50_000; i++) {
      now = addMs(now, 100);
      await counters.increment(`rate:${i}`, 10, now);
    }
    expect(counters.size).toBeLessThanOrEqual(2_200);
    expect(await counters.get('rate:49999', now)).toMatchObject({ count: 1 });
  });

  it('a read that finds an ended window drops it; deleteExpired drops the rest', async () => {
    const counters = new MemoryCounterStore();
    await counters.increment('a', 10, CONTRACT_EPOCH);
    await counters.increment('b', 10, CONTRACT_EPOCH);
    await counters.increment('c', 3600, CONTRACT_EPOCH);
    const end = addMs(CONTRACT_EPOCH, 10_000);
    expect(await counters.get('a', end)).toBeNull();
    expect(counters.size).toBe(2);
    expect(await counters.deleteExpired(end)).toBe(1);
    expect(counters.size).toBe(1);
  });

  it('rejects a window that is not a positive number and a by that is not a positive integer', async () => {
    const counters = new MemoryCounterStore();
    for (const windowSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(counters.increment('k', windowSeconds, CONTRACT_EPOCH)).rejects.toBeInstanceOf(RangeError);
    }
    for (const by of [0, -1, 1.5, Number.NaN]) {
      await expect(counters.increment('k', 60, CONTRACT_EPOCH, by)).rejects.toBeInstanceOf(RangeError);
    }
    expect(counters.size).toBe(0);
  });
});

describe('memory MFA repository', () => {
  it('returns copies: changing a returned record does not change the stored one', async () => {
    const mfa = new MemoryMfaRepository();
    const record = buildTotpRecord();
    await mfa.saveTotp(record);
    const read = await mfa.getTotp(record.userId);
    read?.createdAt.setTime(0);
    expect(await mfa.getTotp(record.userId)).toEqual(record);
  });

  it('useTotpStep sets updatedAt to now', async () => {
    const mfa = new MemoryMfaRepository();
    const record = buildTotpRecord();
    await mfa.saveTotp(record);
    const now = addMs(CONTRACT_EPOCH, 30_001);
    expect(await mfa.useTotpStep(record.userId, 7, now)).toBe(true);
    expect(await mfa.getTotp(record.userId)).toEqual({ ...record, lastUsedStep: 7, updatedAt: now });
  });

  it('replaceBackupCodes stores a hash listed twice once', async () => {
    const mfa = new MemoryMfaRepository();
    await mfa.replaceBackupCodes('u1', ['h1', 'h2', 'h1'], CONTRACT_EPOCH);
    expect(await mfa.countBackupCodes('u1')).toBe(2);
  });
});
