import { pathToFileURL } from 'node:url';
import { isThenable, jobShapeProblem, MrError, type JobDefinition } from '@mr/shared/core';
import flowlogs from './flowlogs/job.js';
import grep from './grep.js';
import indexer from './indexer.js';
import sort from './sort.js';
import wordcount from './wordcount.js';

export { forEachWord } from './wordcount.js';
export { defaultRecordFiles, RECORD_BYTES, RecordsGenerator, type RecordsFile, type RecordsGenOptions } from './gen/records-gen.js';
export { InputRecords, SortedOutput, type SortViolation } from './sort-check.js';
export { FLOWLOGS_GEN_DEFAULTS, FLOWLOGS_V2_FIELDS, FLOWLOGS_V5_FIELDS, FlowLogsGenerator, type FlowLogsFile, type FlowLogsGenOptions } from './gen/flowlogs-gen.js';

/** Built-in jobs by name (contract.md "Built-in jobs"). */
export const builtinJobs: Readonly<Record<string, JobDefinition>> = { wordcount, grep, flowlogs, indexer, sort };

export function isBuiltinJob(name: string): boolean {
  return Object.hasOwn(builtinJobs, name);
}

export function builtinJob(name: string): JobDefinition {
  const job = builtinJobs[name];
  if (!job) throw new MrError('MR_ERR_UNKNOWN_JOB', `unknown job '${name}' (built-in jobs: ${Object.keys(builtinJobs).join(', ')}; or give a path to a .js/.ts module)`);
  return job;
}

/**
 * Imports a job module file and checks that it default-exports a job; `shownAs` names it in errors
 * (the user's path, when the file is a bundle of it).
 */
export async function importJobModule(file: string, shownAs = file): Promise<JobDefinition> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new MrError('MR_ERR_JOB_MODULE', `cannot load job module ${shownAs}: ${(e as Error).message}`);
  }
  const problem = jobShapeProblem(mod.default);
  if (problem) throw new MrError('MR_ERR_JOB_MODULE', `${shownAs}: ${problem} (export default a job: { name, map, reduce })`);
  return mod.default as JobDefinition;
}

/** Runs a job's own params check (if any) on `--param` values: the completed params, or an MrError. */
/** What the engine must know of a job before it runs, decided by its definition from the checked params. */
export interface JobPolicy {
  gather: boolean;
  maxBadFraction?: number;
}

export function jobPolicy(job: JobDefinition, params: Record<string, string>): JobPolicy {
  const asked = job.gather?.(params);
  if (isThenable(asked)) throw new MrError('MR_ERR_JOB_MODULE', `${job.name}: gather returned a promise; it must return true or false`);
  const gather = asked === true;
  const f = job.maxBadFraction?.(params);
  if (f !== undefined && !(typeof f === 'number' && f >= 0 && f <= 1)) {
    throw new MrError('MR_ERR_USAGE', `${job.name}: maxBadFraction must be a number between 0 and 1, got ${String(f)}`);
  }
  return { gather, ...(f !== undefined ? { maxBadFraction: f } : {}) };
}

export function checkParams(job: JobDefinition, raw: Record<string, string>): Record<string, string> {
  if (!job.params) return raw;
  let checked: Record<string, string>;
  try {
    checked = job.params(raw);
  } catch (e) {
    if (MrError.is(e)) throw e;
    throw new MrError('MR_ERR_USAGE', `${job.name}: bad params: ${(e as Error).message}`);
  }
  // a promise would be sent on as `{}`: the job would run without its params
  if (isThenable(checked)) throw new MrError('MR_ERR_JOB_MODULE', `${job.name}: params returned a promise; it must return the checked params`);
  return checked;
}
