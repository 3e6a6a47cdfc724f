import type { JobContext } from '@mr/shared/core';

/** Blocks the calling thread (attempts run in worker threads): a stall that makes no progress. */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const seen = new Set<string>();

/** True the first time it is called in an attempt (map and reduce run once per record/key). */
export function firstCallOfAttempt(ctx: JobContext): boolean {
  // threads run many jobs: the job id makes the key unique
  const key = `${ctx.jobId}/${ctx.taskId}/${ctx.attempt}`;
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

export function numberParam(raw: Record<string, string>, name: string, fallback: number): string {
  const v = raw[name] ?? String(fallback);
  if (!/^\d+(\.\d+)?$/.test(v)) throw new Error(`${name} must be a number, got '${v}'`);
  return v;
}

export function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}
