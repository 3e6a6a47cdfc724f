/**
 * 6.5840's crash.go for this engine: each map or reduce attempt, on its first record, kills its
 * worker process (SIGKILL, like a lost spot node) with probability `crashRate`, stalls up to
 * `maxStallMs` with probability `stallRate`, or runs normally. Otherwise it is word count, so the
 * output must equal the undisturbed word count.
 */
import { defineJob } from '@mr/shared/core';
import { forEachWord } from '../wordcount.js';
import { firstCallOfAttempt, numberParam, sleepSync, sum } from './util.js';

function maybeCrash(params: Readonly<Record<string, string>>): void {
  const r = Math.random();
  const crash = Number(params.crashRate);
  if (r < crash) process.kill(process.pid, 'SIGKILL');
  else if (r < crash + Number(params.stallRate)) sleepSync(Math.random() * Number(params.maxStallMs));
}

export default defineJob<number, number>({
  name: 'crash',
  params: (raw) => ({
    crashRate: numberParam(raw, 'crashRate', 1 / 3),
    stallRate: numberParam(raw, 'stallRate', 1 / 3),
    maxStallMs: numberParam(raw, 'maxStallMs', 10_000),
  }),
  map(line, emit, ctx) {
    if (firstCallOfAttempt(ctx)) maybeCrash(ctx.params);
    forEachWord(line, (w) => emit(w, 1));
  },
  combine: (_k, values) => sum(values),
  reduce(key, values, emit, ctx) {
    if (firstCallOfAttempt(ctx)) maybeCrash(ctx.params);
    emit(key, sum(values));
  },
});
