import { randomBytes } from 'node:crypto';
import type { Clock } from '@mr/shared';

/**
 * Job ids, `job-YYYYMMDDHHMMSS-NNNN-xxxxxx`: the UTC second of submission, the job's number on this
 * master (from its journal, so unique and in order within a cluster, across restarts) and 24
 * random bits. The random part keeps ids apart across clusters: every `mr run` starts its own
 * master whose count starts at 1, and two runs in the same second would otherwise both make
 * `...-0001`. Sorting ids sorts them by second; only [a-z0-9-]: safe in URLs and file names.
 * Made here, in the adapter: the machine gets the id in JobSubmitted and a replay reuses it.
 */
export const JOB_ID_PATTERN = /^job-\d{14}-\d{4,}-[0-9a-f]{6}$/;

export function jobIdSource(clock: Clock, jobsSoFar: number, random: () => string = () => randomBytes(3).toString('hex')): () => string {
  let seq = jobsSoFar;
  return () => {
    const second = new Date(clock.nowMs()).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    return `job-${second}-${String(++seq).padStart(4, '0')}-${random()}`;
  };
}
