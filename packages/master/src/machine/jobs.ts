import { bsOutputPath, stopJob } from './attempts.js';
import { fsDelete, fsLookup } from './fs.js';
import { schedule } from './schedule.js';
import { assert, getJob, setTaskState, taskId } from './state.js';
import { FINAL_JOB_STATES, type Action, type Job, type JobState, type MasterEvent, type MasterState, type Task } from './types.js';

type Ev<K extends MasterEvent['kind']> = Extract<MasterEvent, { kind: K }>;

function newTask(kind: 'map' | 'reduce', index: number): Task {
  return { id: taskId(kind, index), kind, index, state: 'PENDING', attempts: [], failures: 0, killed: 0, failedOn: [], badRecords: {} };
}

/** The driver has validated the spec and cut the splits (I/O); here the job's tasks are laid out. */
export function onJobSubmitted(s: MasterState, e: Ev<'JobSubmitted'>): Action[] {
  assert(!s.jobs.has(e.jobId), `job ${e.jobId} submitted twice`);
  assert(e.spec.numReducers >= 1, 'numReducers >= 1');
  const job: Job = {
    id: e.jobId,
    spec: e.spec,
    state: 'RUNNING',
    maps: e.splits.map((split, i) => ({ ...newTask('map', i), split })),
    reduces: Array.from({ length: e.spec.numReducers }, (_, i) => newTask('reduce', i)),
    counters: {
      mapTasks: e.splits.length,
      reduceTasks: e.spec.numReducers,
      mapAttempts: 0,
      reduceAttempts: 0,
      completedMapsReexecuted: 0,
      killedAttempts: 0,
      failedAttempts: 0,
      inputBytes: 0,
      inputRecords: 0,
      outputRecords: 0,
      badRecords: 0,
      skippedRecords: 0,
      speculativeAttempts: 0,
      ...(e.spec.skippedInputEntries ? { skippedInputEntries: e.spec.skippedInputEntries } : {}),
    },
    submittedMs: e.nowMs,
  };
  s.jobs.set(job.id, job);
  s.jobOrder.push(job.id);
  return schedule(s, e.nowMs);
}

export function onJobCommitted(s: MasterState, e: Ev<'JobCommitted'>): Action[] {
  const job = getJob(s, e.jobId);
  if (job.state !== 'COMMITTING') return [];
  const actions: Action[] = [];
  endJob(s, job, 'SUCCEEDED', e.nowMs, actions);
  return actions;
}

export function onJobCommitFailed(s: MasterState, e: Ev<'JobCommitFailed'>): Action[] {
  const job = getJob(s, e.jobId);
  if (job.state !== 'COMMITTING' && job.state !== 'RUNNING') return [];
  const actions: Action[] = [];
  job.error = `commit failed: ${e.error}`;
  endJob(s, job, 'FAILED', e.nowMs, actions);
  return actions;
}

export function onKillJob(s: MasterState, e: Ev<'KillJob'>): Action[] {
  const job = s.jobs.get(e.jobId);
  const reply = (ok: boolean, message: string): Action =>
    // an ended job is not a usage error (exit 2): the command was right, the job had moved on
    ok ? { kind: 'Reply', requestId: e.requestId, ok: true, value: job!.state } : { kind: 'Reply', requestId: e.requestId, ok: false, code: 'MR_ERR_JOB_ENDED', message };
  if (!job) return [{ kind: 'Reply', requestId: e.requestId, ok: false, code: 'MR_ERR_JOB_NOT_FOUND', message: `no job ${e.jobId}` }];
  if (job.state === 'COMMITTING') return [reply(false, `job ${job.id} is committing its output; it cannot be killed now`)];
  if (job.state !== 'RUNNING') return [reply(false, `job ${job.id} already ${job.state}; nothing to kill`)];
  const actions: Action[] = [];
  stopJob(s, job, 'KILLED', 'killed by request', e.nowMs, actions);
  actions.push(reply(true, ''));
  return actions;
}

/**
 * Final state: settle the tasks, clean up temporary output (unless committed) and shuffle data on
 * core workers. `failedTask`: the task whose failures failed the job.
 */
export function endJob(s: MasterState, job: Job, state: JobState, nowMs: number, actions: Action[], failedTask?: Task): void {
  assert(!FINAL_JOB_STATES.has(job.state), `job ${job.id} ends twice`);
  job.state = state;
  job.finishedMs = nowMs;
  settleTasks(job, failedTask);
  if (state !== 'SUCCEEDED') {
    const bs = bsOutputPath(job.spec.output);
    const uploads = job.reduces.flatMap((t) => (t.upload ? [t.upload] : []));
    if (bs === undefined) actions.push({ kind: 'AbortJob', jobId: job.id, output: job.spec.output, ...(uploads.length > 0 ? { uploads } : {}) });
    else if (fsLookup(s.fs, `${bs}/_temporary`)) fsDelete(s, `${bs}/_temporary`, true, actions);
  }
  const holders = new Set<string>();
  for (const t of job.maps) for (const id of t.attempts) {
    for (const target of s.attempts.get(id)?.shuffleTargets ?? []) holders.add(target);
  }
  if (holders.size > 0) actions.push({ kind: 'DropShuffle', jobId: job.id, nodeIds: [...holders].sort() });
  actions.push({ kind: 'JobFinished', jobId: job.id, state, ...(job.error ? { error: job.error } : {}) });
}

/**
 * A job that ended leaves no task PENDING or RUNNING (its attempts are over, none will start):
 * the task that failed the job is FAILED with the job's error, every other unfinished one KILLED,
 * so that the job page, /api/jobs/ID and the job's own state tell one story. Done here, in the
 * machine, so a replayed journal settles them the same way.
 */
function settleTasks(job: Job, failedTask: Task | undefined): void {
  const why = `job ${job.state === 'KILLED' ? 'killed' : 'failed'} before the task finished`;
  for (const t of [...job.maps, ...job.reduces]) {
    if (t.state === 'SUCCEEDED') continue;
    const failed = t === failedTask;
    setTaskState(job, t, failed ? 'FAILED' : 'KILLED');
    t.error = failed ? (job.error ?? why) : why;
  }
}
