import { builtinJob, importJobModule } from '@mr/jobs';
import { MrError, type JobDefinition } from '@mr/shared/core';

const cache = new Map<string, JobDefinition>();

/** A built-in job by name, or a bundled module by path (imported once per thread). */
export async function loadJob(ref: { builtin?: string; modulePath?: string }): Promise<JobDefinition> {
  if (ref.builtin) return builtinJob(ref.builtin);
  const path = ref.modulePath;
  if (!path) throw new MrError('MR_ERR_JOB_MODULE', 'attempt names no job');
  const cached = cache.get(path);
  if (cached) return cached;
  const job = await importJobModule(path);
  cache.set(path, job);
  return job;
}
