/**
 * The ReBAC rows shared by the memory, SQLite and PostgreSQL benchmarks: the first-page requests of
 * `listResources`, their check, and the two rows (check latency, first page latency) of one store.
 */
import type { ListResourcesRequest } from '../../src/index.js';
import type { BenchContext } from './context.js';
import type { LatencyResult } from './harness.js';
import { label, prng, type Shape } from './policy-graph.js';
import { formatMicros, spread } from './results.js';

/** 64 first-page requests: documents a random user may view (256 each, so every page is full). */
export function listRequests(s: Shape): ListResourcesRequest[] {
  const random = prng(21);
  return Array.from({ length: 64 }, () => ({
    subject: { type: 'user', id: `u${Math.floor(random() * s.users)}` },
    action: 'viewer',
    type: 'document',
    pageSize: 100,
  }));
}

/** Checks that the first pages are full (100 documents and a cursor). */
export async function verifyPage(
  evaluator: {
    listResources(r: ListResourcesRequest): Promise<{ resources: readonly unknown[]; cursor: string | null }>;
  },
  requests: readonly ListResourcesRequest[],
): Promise<void> {
  for (const r of requests.slice(0, 4)) {
    const page = await evaluator.listResources(r);
    if (page.resources.length !== 100 || page.cursor === null) {
      throw new Error(`listResources for ${r.subject.id}: ${page.resources.length} documents`);
    }
  }
}

/** The ReBAC rows of one store: check p50/p99 (bar on p99) and listResources first page p50/p99. */
export function rebacRows(
  ctx: BenchContext,
  store: string,
  group: string,
  tuples: number,
  check: LatencyResult,
  denied: LatencyResult,
  checkBar: number | undefined,
  list: LatencyResult,
  listBar: number | undefined,
  note?: string,
): void {
  const at = label(tuples);
  // p50 and p99 per block of timed calls (blocks of the cases alternate): the median over blocks,
  // and the range of p99, so that a burst of load from elsewhere spoils one block, not the figure.
  const figure = (r: LatencyResult) => {
    const p99 = spread(r.blockP99);
    return {
      text: `p50 ${formatMicros(spread(r.blockP50).median)} / p99 ${formatMicros(p99.median)} (${formatMicros(
        p99.min,
      )}–${formatMicros(p99.max)} over ${p99.rounds} blocks)`,
      value: p99.median,
      unit: 'µs p99',
    };
  };
  ctx.rec.add({
    id: `rebac-check-${store.toLowerCase()}`,
    group,
    hotPath: `ReBAC check, granted 4 deep, ${at} tuples, ${store}${note ? ` (${note})` : ''}`,
    gatehouse: figure(check),
    peers: [{ name: 'denied after the whole walk', ...figure(denied) }],
    bar: checkBar === undefined ? '—' : `p99 < ${formatMicros(checkBar)}`,
    verdict: checkBar === undefined ? 'info' : figure(check).value < checkBar ? 'met' : 'missed',
    detail: `p99 ${formatMicros(figure(check).value)}`,
  });
  ctx.rec.add({
    id: `list-resources-${store.toLowerCase()}`,
    group,
    hotPath: `listResources, first page of 100, ${at} tuples, ${store}`,
    gatehouse: figure(list),
    peers: [],
    bar: listBar === undefined ? '—' : `p99 < ${formatMicros(listBar)}`,
    verdict: listBar === undefined ? 'info' : figure(list).value < listBar ? 'met' : 'missed',
    detail: `p99 ${formatMicros(figure(list).value)}`,
  });
}
