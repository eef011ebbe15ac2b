/**
 * The load generator of the HTTP benchmarks, in a process of its own (so that it never shares an
 * event loop with the server measured): autocannon's programmatic API, driven over IPC by
 * {@link startLoadGenerator}. A job may send a different `Authorization: Bearer <token>` on every
 * request, cycling through a token pool sent once beforehand (autocannon's `setupRequest`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** A pool sent with {@link LoadGenerator.tokens}: each request carries the next one as a Bearer token. */
  readonly pool?: string;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
}

export interface LoadGenerator {
  tokens(pool: string, tokens: readonly string[]): Promise<void>;
  run(job: LoadJob): Promise<LoadResult>;
  close(): void;
}

type Body = { kind: 'tokens'; pool: string; tokens: string[] } | { kind: 'run'; job: LoadJob };
type Message = Body & { id: number };

/** Forks this file as the load generator. */
export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load generator exited with ${code}`));
    waiting.clear();
  });
  const send = (message: Body) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
  return {
    tokens: async (pool, tokens) => {
      await send({ kind: 'tokens', pool, tokens: [...tokens] });
    },
    run: async (job) => {
      const result = (await send({ kind: 'run', job })) as LoadResult;
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(
          `${job.method ?? 'GET'} ${job.url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`,
        );
      }
      return result;
    },
    close: () => {
      child.kill();
    },
  };
}

async function child(): Promise<void> {
  // @ts-expect-error autocannon ships no type declarations
  const { default: autocannon } = (await import('autocannon')) as unknown as {
    default: (options: object) => Promise<{
      requests: { average: number; total: number };
      duration: number;
      non2xx: number;
      errors: number;
      latency: { p50: number; p99: number };
    }>;
  };
  const pools = new Map<string, string[]>();
  process.on('message', async (message: Message) => {
    try {
      if (message.kind === 'tokens') {
        pools.set(message.pool, message.tokens);
        process.send?.({ id: message.id, result: null });
        return;
      }
      const { job } = message;
      const headers = { ...job.headers, ...(job.body ? { 'content-type': 'application/json' } : {}) };
      const tokens = job.pool ? pools.get(job.pool) : undefined;
      if (job.pool && !tokens) throw new Error(`no token pool ${job.pool}`);
      let i = 0;
      const request = {
        method: job.method ?? 'GET',
        headers,
        ...(job.body ? { body: job.body } : {}),
        ...(tokens
          ? {
              setupRequest: (req: { headers: Record<string, string> }) => {
                const token = tokens[i] as string;
                i = i + 1 === tokens.length ? 0 : i + 1;
                return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
              },
            }
          : {}),
      };
      const result = await autocannon({
        url: job.url,
        connections: job.connections,
        duration: job.seconds,
        requests: [request],
      });
      process.send?.({
        id: message.id,
        result: {
          // Completed requests over the measured time (autocannon's average is per whole second).
          requestsPerSecond: result.requests.total / result.duration,
          non2xx: result.non2xx,
          errors: result.errors,
          latencyP50: result.latency.p50,
          latencyP99: result.latency.p99,
        } satisfies LoadResult,
      });
    } catch (error) {
      process.send?.({ id: message.id, error: String(error) });
    }
  });
}

if (process.argv.includes('--child')) await child();
