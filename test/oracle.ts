/**
 * The sequential oracle (style.md: 6.5840's mrsequential): runs any job in-process with no cluster
 * and renders the exact bytes the engine must produce: part files with keys in UTF-8 byte order,
 * keys placed by the job's partitioner or fnv1a32 mod R. End-to-end tests compare against it.
 */
import { readFileSync } from 'node:fs';
import { compareUtf8, defaultPartition, formatValue, isThenable, type JobDefinition, type JobContext } from '../packages/shared/src/index.js';

/** Map tasks are files; cleanup hooks run per task. Not for gathering jobs (flowlogs has its own reference, test/flowlogs). */
export function runOracle(job: JobDefinition, files: string[], numReducers: number, params: Record<string, string> = {}): Map<string, string> {
  const steps = oracleSteps(job, files, numReducers, params);
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    if (isThenable(r.value)) throw new Error(`runOracle: job '${job.name}' returned a promise: use runOracleAsync`);
  }
}

/** runOracle for a job whose functions may be async: each promise is awaited before the next call, as the engine does. */
export async function runOracleAsync(job: JobDefinition, files: string[], numReducers: number, params: Record<string, string> = {}): Promise<Map<string, string>> {
  const steps = oracleSteps(job, files, numReducers, params);
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    await r.value;
  }
}

/** The oracle's run, yielding what each user function returns: the sync and async drivers above differ only there. */
function* oracleSteps(job: JobDefinition, files: string[], numReducers: number, params: Record<string, string>): Generator<unknown, Map<string, string>> {
  const counters: Record<string, number> = {};
  const add = (n: string, k = 1) => void (counters[n] = (counters[n] ?? 0) + k);
  const context = (o: Partial<JobContext>): JobContext => ({
    params, jobId: 'oracle', taskId: 'oracle', attempt: 0, offset: 0, firstLine: undefined, gathered: [], partition: undefined,
    counter: add, badRecord: () => add('badRecords'), headerRecord: () => add('headerRecords'), ...o,
  });
  const groups = new Map<string, unknown[]>();
  const collect = (k: string, v: unknown) => {
    let vs = groups.get(k);
    if (!vs) groups.set(k, (vs = []));
    vs.push(v);
  };
  for (const f of files) {
    // one map task per file
    const text = readFileSync(f, 'utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const ctx = context({ input: f, ...(lines.length > 0 ? { firstLine: lines[0]!.replace(/\r$/, '') } : {}) });
    yield job.mapSetup?.(ctx);
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (job.input === 'bytes') {
        const bytes = Buffer.from(line);
        yield job.map({ bytes, start: 0, end: bytes.length }, collect, ctx);
      }
      else yield job.map(line, collect, ctx);
    }
    yield job.mapCleanup?.(collect, ctx);
  }
  const parts: string[][] = Array.from({ length: numReducers }, () => []);
  const reduceCtx = Array.from({ length: numReducers }, (_, p) => context({ partition: p }));
  for (const key of [...groups.keys()].sort(compareUtf8)) {
    const p = job.partition ? job.partition(key, numReducers, params) : defaultPartition(key, numReducers);
    yield job.reduce(key, groups.get(key)!, (k, v) => parts[p]!.push(`${k}\t${formatValue(v)}\n`), reduceCtx[p]!);
  }
  for (const [p, ctx] of reduceCtx.entries()) yield job.reduceCleanup?.((k, v) => parts[p]!.push(`${k}\t${formatValue(v)}\n`), ctx);
  const out = new Map<string, string>();
  parts.forEach((lines, i) => out.set(`part-${String(i).padStart(5, '0')}`, lines.join('')));
  out.set('_SUCCESS', '');
  return out;
}
