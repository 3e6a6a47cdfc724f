import { pathToFileURL } from 'node:url';
import { builtinJob } from '@mr/jobs';
import { jobShapeProblem, MrError, type JobDefinition } from '@mr/shared';

const cache = new Map<string, JobDefinition>();

/** A built-in job by name, or a bundled module by path (imported once per thread). */
export async function loadJob(ref: { builtin?: string; modulePath?: string }): Promise<JobDefinition> {
  if (ref.builtin) return builtinJob(ref.builtin);
  const path = ref.modulePath;
  if (!path) throw new MrError('MR_ERR_JOB_MODULE', 'attempt names no job');
  const cached = cache.get(path);
  if (cached) return cached;
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new MrError('MR_ERR_JOB_MODULE', `cannot load job module ${path}: ${(e as Error).message}`);
  }
  const problem = jobShapeProblem(mod.default);
  if (problem) throw new MrError('MR_ERR_JOB_MODULE', `${path}: ${problem}`);
  const job = mod.default as JobDefinition;
  cache.set(path, job);
  return job;
}
