/**
 * `npm run bench`: every benchmark, each printing ratios measured in the same run.
 * `npm run bench -- tokens`, `-- http`, `-- policy`, `-- postgres`, `-- guard` or `-- timing` runs
 * one group (`timing`: side channels, e.g. the password-reset request for known vs unknown addresses).
 * `npm run bench` builds the package first: the groups that load `dist/` measure what users run.
 */
import { benchGuardStore } from './guard-store.bench.js';
import { benchHttpGuard } from './http-guard.bench.js';
import { benchPolicy } from './policy.bench.js';
import { benchRebacPostgres } from './policy-postgres.bench.js';
import { benchResetTiming } from './reset-timing.bench.js';
import { benchTokenVerify } from './token-verify.bench.js';

const only = process.argv[2];
if (!only || only === 'tokens') await benchTokenVerify();
if (!only || only === 'http') await benchHttpGuard();
if (!only || only === 'policy') await benchPolicy();
if (!only || only === 'postgres') await benchRebacPostgres();
if (!only || only === 'guard') await benchGuardStore();
if (!only || only === 'timing') await benchResetTiming();
