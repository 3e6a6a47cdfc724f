/**
 * A straggler: on a worker whose environment has MR_TEST_SLOW=1, every map attempt stalls
 * `slowMs` on its first record (job code sees the worker's environment, contract.md). Elsewhere
 * it is word count. With speculation, the job must not wait for the stalled attempt.
 */
import { defineJob } from '@mr/shared/core';
import { forEachWord } from '../wordcount.js';
import { firstCallOfAttempt, numberParam, sleepSync, sum } from './util.js';

export default defineJob<number, number>({
  name: 'slow',
  params: (raw) => ({ slowMs: numberParam(raw, 'slowMs', 20_000) }),
  map(line, emit, ctx) {
    if (firstCallOfAttempt(ctx) && process.env.MR_TEST_SLOW === '1') sleepSync(Number(ctx.params.slowMs));
    forEachWord(line, (w) => emit(w, 1));
  },
  combine: (_k, values) => sum(values),
  reduce(key, values, emit) {
    emit(key, sum(values));
  },
});
