/**
 * 6.5840's mtiming/rtiming/jobcount for this engine: every attempt, on its first record, writes
 * `<dir>/<taskId>.<attempt>.<pid>.start`, holds for `holdMs`, then writes `.end` (both hold the
 * time). A test reads them to see attempts running at the same time, and how many ran per task.
 * `--param only=r-00002` marks (and holds) that task's attempts alone. Output: word count of the input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob } from '@mr/shared/core';
import { forEachWord } from '../wordcount.js';
import { firstCallOfAttempt, numberParam, sleepSync, sum } from './util.js';

function mark(ctx: { taskId: string; attempt: number; params: Readonly<Record<string, string>> }): void {
  if (ctx.params.only && ctx.params.only !== ctx.taskId) return;
  const base = join(ctx.params.dir!, `${ctx.taskId}.${ctx.attempt}.${process.pid}`);
  writeFileSync(`${base}.start`, String(Date.now()));
  sleepSync(Number(ctx.params.holdMs));
  writeFileSync(`${base}.end`, String(Date.now()));
}

export default defineJob<number, number>({
  name: 'markers',
  params: (raw) => {
    if (!raw.dir) throw new Error('markers needs --param dir=DIR');
    return { dir: raw.dir, holdMs: numberParam(raw, 'holdMs', 1_000), ...(raw.only ? { only: raw.only } : {}) };
  },
  map(line, emit, ctx) {
    if (firstCallOfAttempt(ctx)) mark(ctx);
    forEachWord(line, (w) => emit(w, 1));
  },
  combine: (_k, values) => sum(values),
  reduce(key, values, emit, ctx) {
    if (firstCallOfAttempt(ctx)) mark(ctx);
    emit(key, sum(values));
  },
});
