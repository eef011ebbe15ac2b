/**
 * `npm run bench`: every benchmark, each printing ratios measured in the same run.
 * `npm run bench -- tokens`, `-- http` or `-- policy` runs one group.
 */
import { benchHttpGuard } from './http-guard.bench.js';
import { benchPolicy } from './policy.bench.js';
import { benchTokenVerify } from './token-verify.bench.js';

const only = process.argv[2];
if (!only || only === 'tokens') await benchTokenVerify();
if (!only || only === 'http') await benchHttpGuard();
if (!only || only === 'policy') await benchPolicy();
