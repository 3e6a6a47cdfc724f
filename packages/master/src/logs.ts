import { MrError } from '@mr/shared';
import type { Attempt, Job, MasterState, Task } from './machine/types.js';

/** `mr logs`: one attempt that FAILED or was KILLED, with what its user code left behind. */
export interface AttemptLogView {
  attemptId: string;
  taskId: string;
  kind: Attempt['kind'];
  /** The attempt's number within its task, from 0. */
  number: number;
  nodeId: string;
  state: 'FAILED' | 'KILLED';
  startedMs: number;
  finishedMs: number;
  /** The failure, or why it was killed. */
  error: string;
  /** User-code errors: the stack trace, the user's frames. */
  stack?: string;
  /** The tail of what user code wrote to stdout and stderr. */
  stderr?: string;
}

export interface JobLogsView {
  jobId: string;
  state: Job['state'];
  error?: string;
  attempts: AttemptLogView[];
}

/**
 * The FAILED and KILLED attempts of a job, or of one of its tasks, in task order (maps, then
 * reduces) and attempt order within a task. Throws MR_ERR_JOB_NOT_FOUND / MR_ERR_TASK_NOT_FOUND.
 */
export function jobLogs(s: MasterState, jobId: string, taskId?: string): JobLogsView {
  const job = s.jobs.get(jobId);
  if (!job) throw new MrError('MR_ERR_JOB_NOT_FOUND', `no job ${jobId}`);
  let tasks: Task[] = [...job.maps, ...job.reduces];
  if (taskId) {
    const task = tasks.find((t) => t.id === taskId);
    if (!task) throw new MrError('MR_ERR_TASK_NOT_FOUND', `job ${jobId} has no task ${taskId} (${taskRange(job)})`);
    tasks = [task];
  }
  const attempts: AttemptLogView[] = [];
  for (const t of tasks) {
    for (const id of t.attempts) {
      const a = s.attempts.get(id);
      if (!a || (a.state !== 'FAILED' && a.state !== 'KILLED')) continue;
      attempts.push({
        attemptId: a.id, taskId: a.taskId, kind: a.kind, number: a.number, nodeId: a.nodeId, state: a.state,
        startedMs: a.startedMs, finishedMs: a.finishedMs ?? a.startedMs, error: a.error ?? '',
        ...(a.stack ? { stack: a.stack } : {}), ...(a.stderr ? { stderr: a.stderr } : {}),
      });
    }
  }
  return { jobId: job.id, state: job.state === 'COMMITTING' ? 'RUNNING' : job.state, ...(job.error !== undefined ? { error: job.error } : {}), attempts };
}

function taskRange(job: Job): string {
  const range = (ts: Task[]) => (ts.length === 0 ? [] : [ts.length === 1 ? ts[0]!.id : `${ts[0]!.id}..${ts[ts.length - 1]!.id}`]);
  return `its tasks are ${[...range(job.maps), ...range(job.reduces)].join(' and ')}`;
}
