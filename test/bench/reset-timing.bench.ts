/**
 * Timing side channel of the password-reset request (OWASP ASVS 5.0 V6.3.8; Forgot Password Cheat
 * Sheet: the answer must not tell whether an account exists, in content or in time). Requests for
 * registered and for unknown addresses (same shape, length and repetition) are timed interleaved
 * in a random order and compared: medians, and Welch's t-test on the means.
 *
 * Both measure the package as installed (packed and installed from the packed tarball, `installed.ts`), as users run it.
 *
 * - Through the service (memory and SQLite stores), in this process: after each call the work it
 *   queued in the background is let finish, untimed, so each call is timed alone.
 * - Over HTTP (the Hono test app, loopback) against a server in another process
 *   (`reset-server.ts`), as a client would time it: the server's background work runs on the
 *   server's event loop, after the response is written. A pause of 3 ms between requests keeps
 *   one request's background work out of the next one's time.
 *
 * Every registered address gets its mail (no per-account limit): the costliest case.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { startScript, stopExamples } from '../examples/support.js';
import { loadInstalled } from './installed.js';
import { KNOWN, knownAddress, resetBenchGatehouse } from './reset-server.js';
import { compareTimings, interleaved } from './stats.js';

const CONTEXT = { ip: '198.51.100.7', userAgent: 'bench' };
/** Lets every task a call queued in the background (look-up, token, mail) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await nextTurn();
}

/**
 * The addresses asked for: the registered ones in turn, and as many unknown ones (same shape and
 * length), also in turn, so that both sides repeat their strings alike (V8 caches some string and
 * regular-expression work by content). Each is built beforehand as a string of its own, so
 * building it costs nothing inside the timing.
 */
function addresses(count: number): { known: () => string; unknown: () => string } {
  const known = Array.from({ length: count }, (_, i) => knownAddress(i % KNOWN));
  const unknown = Array.from({ length: count }, (_, i) => knownAddress(KNOWN + (i % KNOWN)));
  let k = 0;
  let u = 0;
  return { known: () => known[k++ % count] as string, unknown: () => unknown[u++ % count] as string };
}

const NAMES = ['registered address', 'unknown address'] as const;

export async function benchResetTiming(samples = 4000): Promise<void> {
  console.log('\nPassword-reset request: registered vs unknown address (time to the answer)');
  const [{ createMemoryStore }, { createSqliteStore }] = await Promise.all([
    loadInstalled('index'),
    loadInstalled('sqlite'),
  ]);
  for (const [name, store] of [
    ['memory store', createMemoryStore()],
    ['SQLite store', createSqliteStore()],
  ] as const) {
    const gh = await resetBenchGatehouse(store);
    const next = addresses(2 * samples);
    const timings = await interleaved(
      [
        { name: 'known', run: () => gh.account.requestPasswordReset(next.known(), CONTEXT) },
        { name: 'unknown', run: () => gh.account.requestPasswordReset(next.unknown(), CONTEXT) },
      ],
      samples,
      settle,
    );
    compareTimings(`AccountService.requestPasswordReset, ${name}`, NAMES, timings);
  }

  for (const store of ['memory', 'sqlite']) {
    const server = await startScript('test/bench/reset-server.ts', { STORE: store }, /listening on (\S+)/);
    try {
      const url = `${server.match[1]}/auth/password-reset/request`;
      const post = async (email: string) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email }),
        });
        await response.arrayBuffer();
        if (response.status !== 202) throw new Error(`password-reset/request: ${response.status}`);
      };
      const next = addresses(2 * samples);
      const timings = await interleaved(
        [
          { name: 'known', run: () => post(next.known()) },
          { name: 'unknown', run: () => post(next.unknown()) },
        ],
        samples,
        () => sleep(3),
      );
      compareTimings(
        `POST /auth/password-reset/request over HTTP (Hono, loopback, ${store} store, server in its own process)`,
        NAMES,
        timings,
      );
    } finally {
      stopExamples();
    }
  }
}
