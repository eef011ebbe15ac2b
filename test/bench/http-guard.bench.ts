/**
 * Per framework: requests/second of an unguarded route against the same route behind
 * `authenticate` (JWT verification and the token-table revocation check), over loopback, with the
 * load generator (autocannon) in a separate process. Printed as a ratio measured in the same run.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { ADAPTERS } from '../http/apps/index.js';
import { GOOD_PASSWORD, testGatehouse } from '../support/gatehouse.js';
import { loginTokens } from '../support/login.js';

const run = promisify(execFile);
const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

async function requestsPerSecond(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<number> {
  const args = [autocannon, '--json', '-c', '16', '-d', String(seconds)];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  const { stdout } = await run(process.execPath, [...args, url], { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number };
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx responses`);
  return result.requests.average;
}

export async function benchHttpGuard(seconds = 3, rounds = 2): Promise<void> {
  console.log('\nGuarded route vs the same route unguarded (autocannon, 16 connections, loopback)');
  for (const [name, start] of ADAPTERS) {
    const gh = testGatehouse();
    await gh.auth.register({ email: 'bench@example.com', password: GOOD_PASSWORD });
    const { accessToken } = await loginTokens(gh, {
      identifier: 'bench@example.com',
      password: GOOD_PASSWORD,
    });
    const app = await start(gh);
    try {
      const open: number[] = [];
      const guarded: number[] = [];
      for (let r = 0; r < rounds; r++) {
        open.push(await requestsPerSecond(`${app.url}/public`, {}, seconds));
        guarded.push(
          await requestsPerSecond(
            `${app.url}/generate/text`,
            { authorization: `Bearer ${accessToken}` },
            seconds,
          ),
        );
      }
      const best = (values: number[]) => Math.max(...values);
      console.log(
        `  ${name.padEnd(8)} unguarded ${Math.round(best(open)).toString().padStart(7)} req/s   guarded ${Math.round(
          best(guarded),
        )
          .toString()
          .padStart(7)} req/s   ${(best(guarded) / best(open)).toFixed(2)}x`,
      );
    } finally {
      await app.close();
    }
  }
}
