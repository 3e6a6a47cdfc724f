/**
 * For `mr logs`: on a line containing `marker` (param, default "NOISY"), map writes a line to
 * stdout and one to stderr that name the task and attempt, then throws from `explodeOn` (a frame a
 * test can look for), every time. With `--param hangMs=N` it stalls that long instead of throwing
 * (a task timeout). Otherwise word count.
 */
import { defineJob } from '@mr/shared/core';
import { forEachWord } from '../wordcount.js';
import { numberParam, sleepSync, sum } from './util.js';

function explodeOn(line: string): never {
  throw new Error(`noisy job refuses line: ${line.slice(0, 40)}`);
}

export default defineJob<number, number>({
  name: 'noisy',
  params: (raw) => ({ marker: raw.marker ?? 'NOISY', hangMs: numberParam(raw, 'hangMs', 0) }),
  map(line, emit, ctx) {
    if (line.includes(ctx.params.marker!)) {
      console.log(`noisy stdout: ${ctx.taskId} attempt ${ctx.attempt}`);
      console.error(`noisy stderr: ${ctx.taskId} attempt ${ctx.attempt}`);
      const hangMs = Number(ctx.params.hangMs);
      if (hangMs > 0) sleepSync(hangMs);
      else explodeOn(line);
    }
    forEachWord(line, (w) => emit(w, 1));
  },
  combine: (_k, values) => sum(values),
  reduce(key, values, emit) {
    emit(key, sum(values));
  },
});
