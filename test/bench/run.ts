/** `npm run bench`: every benchmark, each printing ratios measured in the same run. */
import { benchTokenVerify } from './token-verify.bench.js';

await benchTokenVerify();
