import { MrError, type JobDefinition } from '@mr/shared';
import grep from './grep.js';
import indexer from './indexer.js';
import wordcount from './wordcount.js';

export { forEachWord } from './wordcount.js';

/** Built-in jobs by name (contract.md "Built-in jobs"). */
export const builtinJobs: Readonly<Record<string, JobDefinition>> = { wordcount, grep, indexer };

export function isBuiltinJob(name: string): boolean {
  return Object.hasOwn(builtinJobs, name);
}

export function builtinJob(name: string): JobDefinition {
  const job = builtinJobs[name];
  if (!job) throw new MrError('MR_ERR_UNKNOWN_JOB', `unknown job '${name}' (built-in jobs: ${Object.keys(builtinJobs).join(', ')}; or give a path to a .js/.ts module)`);
  return job;
}

/** Runs a job's own params check (if any) on `--param` values: the completed params, or an MrError. */
export function checkParams(job: JobDefinition, raw: Record<string, string>): Record<string, string> {
  if (!job.params) return raw;
  try {
    return job.params(raw);
  } catch (e) {
    if (MrError.is(e)) throw e;
    throw new MrError('MR_ERR_USAGE', `${job.name}: bad params: ${(e as Error).message}`);
  }
}
