/**
 * Bad records: map throws on any line containing `poison` (param, default "POISON"), every time.
 * Without --skip-bad-records the job fails naming the input and offset; with it, those lines are
 * skipped after two failing attempts and counted. Otherwise word count.
 */
import { defineJob } from '@mr/shared/core';
import { forEachWord } from '../wordcount.js';
import { sum } from './util.js';

export default defineJob<number, number>({
  name: 'poison',
  params: (raw) => ({ poison: raw.poison ?? 'POISON' }),
  map(line, emit, ctx) {
    if (line.includes(ctx.params.poison!)) throw new Error(`poisoned line: ${line.slice(0, 40)}`);
    forEachWord(line, (w) => emit(w, 1));
  },
  combine: (_k, values) => sum(values),
  reduce(key, values, emit) {
    emit(key, sum(values));
  },
});
