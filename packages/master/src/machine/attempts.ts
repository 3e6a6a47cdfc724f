import { planHandOffs } from './decommission.js';
import { endJob } from './jobs.js';
import { schedule } from './schedule.js';
import { fsChildren, fsDelete, fsInternal, fsLookup, fsPath, fsRename, fsTouch } from './fs.js';
import { addCounter, assert, awaitsGathered, gatheredRows, getJob, hasLeft, phaseDone, releaseSlot, setTaskState, taskOf } from './state.js';
import type { Action, Attempt, Job, MasterEvent, MasterState, Task } from './types.js';

type Ev<K extends MasterEvent['kind']> = Extract<MasterEvent, { kind: K }>;

/**
 * Once the last of a gathering job's tasks 1..R-1 has succeeded, task 0's running attempts (on
 * `nodeId` only, when given) get what they emitted (their task timeout counts from now: they may
 * have been waiting for it).
 */
export function sendGathered(s: MasterState, job: Job, nowMs: number, actions: Action[], nodeId?: string): void {
  const task0 = job.reduces[0]!;
  if (awaitsGathered(job, task0)) return;
  const gathered = gatheredRows(job);
  for (const id of task0.attempts) {
    const a = s.attempts.get(id)!;
    if (a.state !== 'RUNNING' || (nodeId !== undefined && a.nodeId !== nodeId)) continue;
    a.lastProgressMs = nowMs;
    actions.push({ kind: 'SendGathered', nodeId: a.nodeId, attemptId: id, gathered });
  }
}

/** A gathering job's tasks 1..R-1 hand task 0 at most this much in all (characters of JSON). */
export const MAX_GATHERED_TOTAL = 32 * 1024 * 1024;

/** --skip-bad-records: a task with more bad records than this fails (its input is not what the job expects). */
export const MAX_SKIPPED_RECORDS_PER_TASK = 100;

/**
 * What user code wrote is kept per FAILED or KILLED attempt, at most this much (its tail: `mr logs`);
 * room for the worker's 64 KiB tail and the line it puts before a cut one...
 */
export const MAX_ATTEMPT_OUTPUT = 64 * 1024 + 256;
/** ...and per job: past this in all, each further attempt keeps only its last OUTPUT_OVER_BUDGET characters. */
export const MAX_JOB_OUTPUT = 1024 * 1024;
export const OUTPUT_OVER_BUDGET = 2 * 1024;
export const MAX_ATTEMPT_STACK = 8 * 1024;
const DROPPED = '[earlier output dropped]\n';

/** The temporary directory a reduce attempt writes its part into, under the job's output. */
export function attemptOutputDir(output: string, attemptId: string): string {
  return `${output.replace(/\/+$/, '')}/_temporary/${attemptId}`;
}

export function onAttemptSucceeded(s: MasterState, e: Ev<'AttemptSucceeded'>): Action[] {
  const a = s.attempts.get(e.attemptId);
  if (!a || a.state !== 'RUNNING') {
    // late report of a killed attempt: already cleaned up, but an S3 upload it left must go
    return a && e.upload ? [{ kind: 'AbortUpload', jobId: a.jobId, upload: e.upload }] : [];
  }
  const job = getJob(s, a.jobId);
  const task = taskOf(job, a.taskId);
  const actions: Action[] = [];
  finishAttempt(s, a, 'SUCCEEDED', e.nowMs);
  if (task.state === 'SUCCEEDED' || job.state !== 'RUNNING') {
    // Lost a race (or the job is over): discard, never commit twice.
    discardOutput(s, job, a, actions);
    if (e.upload) actions.push({ kind: 'AbortUpload', jobId: job.id, upload: e.upload });
    return actions;
  }
  setTaskState(job, task, 'SUCCEEDED');
  task.winner = a.id;
  // a success shows the task is not what kills workers: a later re-run (its output lost) starts
  // its --max-killed-attempts count afresh
  task.killed = 0;
  task.counters = e.counters;
  for (const [name, n] of Object.entries(e.counters)) addCounter(job.counters, name, n);
  if (e.firstBad) task.firstBad = e.firstBad;
  if (e.gathered && job.spec.gather && task.kind === 'reduce') {
    task.gathered = e.gathered;
    // it all goes to task 0 in one message (and sits in the master's state): bounded for the job
    const total = job.reduces.reduce((n, t) => n + (t.gathered ?? []).reduce((m, g) => m + g.length, 0), 0);
    if (total > MAX_GATHERED_TOTAL) {
      failJob(s, job, `reduce tasks 1..${job.reduces.length - 1} hand more than ${MAX_GATHERED_TOTAL >> 20} MiB to task 0 (gather); use fewer reducers or a smaller result`, e.nowMs, actions);
      return actions;
    }
  }
  if (job.spec.gather && task.kind === 'reduce' && task.index > 0) sendGathered(s, job, e.nowMs, actions);
  // Other copies of this task (speculative backups) are no longer needed.
  for (const other of task.attempts) {
    if (other !== a.id && s.attempts.get(other)?.state === 'RUNNING') killAttempt(s, other, `task ${task.id} done by ${a.id}`, e.nowMs, actions, { notifyWorker: true, count: false });
  }
  if (task.kind === 'map') {
    assert(a.shuffleTargets && a.shuffleTargets.length > 0, `map attempt ${a.id} without shuffle targets`);
    const stored = e.storedOn ? a.shuffleTargets.filter((n) => e.storedOn!.includes(n)) : a.shuffleTargets;
    task.outputNodes = stored.filter((n) => { const node = s.nodes.get(n); return node !== undefined && !hasLeft(node); });
    // every copy went away between the store and this report
    if (task.outputNodes.length === 0) rerunMap(job, task);
    for (const n of task.outputNodes ?? []) {
      const holder = s.nodes.get(n)!;
      if (holder.state === 'DECOMMISSIONING') planHandOffs(s, holder, actions);
    }
    if (job.spec.maxBadFraction !== undefined && phaseDone(job, 'map')) {
      const tooMany = badRecordsError(job, job.spec.maxBadFraction);
      if (tooMany) {
        failJob(s, job, tooMany, e.nowMs, actions);
        return actions;
      }
    }
  } else if (job.spec.output.startsWith('s3://')) {
    // s3:// output: the task commit records the winner's pending upload; the job commit completes them all
    assert(e.upload, `reduce attempt ${a.id} on s3:// reported no upload`);
    task.upload = e.upload;
    if (phaseDone(job, 'reduce')) {
      job.state = 'COMMITTING';
      actions.push({ kind: 'CommitJob', jobId: job.id, output: job.spec.output, numReducers: job.spec.numReducers, uploads: job.reduces.map((t) => t.upload!), overwrite: job.spec.overwrite === true });
    }
  } else if (bsOutputPath(job.spec.output) !== undefined) {
    // bs:// output: the commits are namespace renames, done right here (atomic, no I/O)
    if (!commitBsTask(s, job, a, task.index, e.nowMs, actions)) return actions;
    if (phaseDone(job, 'reduce')) commitBsJob(s, job, e.nowMs, actions);
  } else {
    actions.push({
      kind: 'CommitTask', jobId: job.id, attemptId: a.id, partition: task.index,
      output: job.spec.output, attemptOutput: attemptOutputDir(job.spec.output, a.id),
    });
    if (phaseDone(job, 'reduce')) {
      job.state = 'COMMITTING';
      actions.push({ kind: 'CommitJob', jobId: job.id, output: job.spec.output, numReducers: job.spec.numReducers, overwrite: job.spec.overwrite === true });
    }
  }
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

/** A completed map's output is gone: it runs again, and its counters leave the job's totals until it has. */
function rerunMap(job: Job, task: Task): void {
  setTaskState(job, task, 'PENDING');
  task.winner = undefined;
  task.outputNodes = undefined;
  for (const [name, n] of Object.entries(task.counters ?? {})) addCounter(job.counters, name, -n);
  task.counters = undefined;
  task.firstBad = undefined;
  addCounter(job.counters, 'completedMapsReexecuted', 1);
}

/**
 * JobDefinition.maxBadFraction, once every map has run: bad records over data records (input
 * records less headers). The message names the first bad record in path order, by its line in
 * the file: the lines of the file's earlier splits are known by now (their inputRecords).
 */
export function badRecordsError(job: Job, maxFraction: number): string | undefined {
  const sum = (name: string) => job.maps.reduce((n, t) => n + (t.counters?.[name] ?? 0), 0);
  const bad = sum('badRecords');
  const data = sum('inputRecords') - sum('headerRecords');
  if (bad === 0 || data <= 0 || bad / data <= maxFraction) return undefined;
  const byPosition = (a: Task, b: Task) => (a.split!.uri < b.split!.uri ? -1 : a.split!.uri > b.split!.uri ? 1 : a.split!.start - b.split!.start);
  const first = job.maps.filter((t) => t.firstBad).sort(byPosition)[0];
  const pct = ((100 * bad) / data).toFixed(1);
  let where = '';
  if (first) {
    const before = job.maps
      .filter((t) => t.split!.uri === first.split!.uri && t.split!.start < first.split!.start)
      .reduce((n, t) => n + (t.counters?.inputRecords ?? 0), 0);
    where = `; the first is ${first.split!.uri} line ${before + first.firstBad!.line}: ${first.firstBad!.reason}`;
  }
  return `${bad} of ${data} records are bad (${pct}%, more than maxBadFraction ${maxFraction})${where}`;
}

export function onAttemptFailed(s: MasterState, e: Ev<'AttemptFailed'>): Action[] {
  const a = s.attempts.get(e.attemptId);
  if (!a || a.state !== 'RUNNING') {
    // timed out or killed here before its own report came: what it threw and wrote is still its story
    if (a && (a.state === 'FAILED' || a.state === 'KILLED') && a.stderr === undefined && a.stack === undefined) keepOutput(s, a, e.stderr, e.stack);
    return [];
  }
  const actions: Action[] = [];
  if (e.lost) {
    // not the code's fault (a shuffle peer went away): retried without counting as a failure
    killAttempt(s, a.id, e.error, e.nowMs, actions, { notifyWorker: false });
    keepOutput(s, a, e.stderr, e.stack);
    actions.push(...schedule(s, e.nowMs));
    return actions;
  }
  const job = getJob(s, a.jobId);
  const task = taskOf(job, a.taskId);
  finishAttempt(s, a, 'FAILED', e.nowMs);
  a.error = e.error;
  keepOutput(s, a, e.stderr, e.stack);
  discardOutput(s, job, a, actions);
  addCounter(job.counters, 'failedAttempts', 1);
  if (task.state === 'SUCCEEDED' || job.state !== 'RUNNING') return actions;
  task.lastError = e.error;
  if (!task.failedOn.includes(a.nodeId)) task.failedOn.push(a.nodeId);
  if (job.spec.skipBadRecords && e.failedRecord) {
    // Skip mode: a failure on an identified record counts toward that record (skipped after
    // two), not toward --max-attempts; so each two failures make progress. Bounded per task.
    task.badRecords[e.failedRecord] = (task.badRecords[e.failedRecord] ?? 0) + 1;
    if (Object.keys(task.badRecords).length > MAX_SKIPPED_RECORDS_PER_TASK) {
      failJob(s, job, `task ${task.id} has more than ${MAX_SKIPPED_RECORDS_PER_TASK} bad records; last error: ${e.error}`, e.nowMs, actions, task);
      return actions;
    }
  } else if (++task.failures >= job.spec.maxAttempts) {
    failJob(s, job, `task ${task.id} failed ${task.failures} times; last error: ${e.error}`, e.nowMs, actions, task);
    return actions;
  }
  if (!hasRunningAttempt(s, task)) setTaskState(job, task, 'PENDING');
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

/** What a killed (or timed-out) attempt wrote, sent by its worker once it stopped: kept if it has none yet. */
export function onAttemptOutput(s: MasterState, e: Ev<'AttemptOutput'>): Action[] {
  const a = s.attempts.get(e.attemptId);
  if (a && (a.state === 'FAILED' || a.state === 'KILLED') && a.stderr === undefined) keepOutput(s, a, e.stderr);
  return [];
}

/**
 * Keeps a failed or killed attempt's stack and output tail, bounded per attempt and per job (the
 * master holds every job's attempts, and journals them).
 */
function keepOutput(s: MasterState, a: Attempt, stderr: string | undefined, stack?: string): void {
  if (stack) a.stack = stack.length > MAX_ATTEMPT_STACK ? stack.slice(0, MAX_ATTEMPT_STACK) : stack;
  if (!stderr) return;
  const job = getJob(s, a.jobId);
  const room = (job.outputChars ?? 0) >= MAX_JOB_OUTPUT ? OUTPUT_OVER_BUDGET : MAX_ATTEMPT_OUTPUT;
  // within room, marker included: keeping what was kept changes nothing (replay of trimmed text)
  const kept = stderr.length > room ? DROPPED + stderr.slice(stderr.length - (room - DROPPED.length)) : stderr;
  job.outputChars = (job.outputChars ?? 0) - (a.stderr?.length ?? 0) + kept.length;
  a.stderr = kept;
}

/**
 * Ends a running attempt as KILLED: lost with its worker or no longer needed. It does not count
 * toward --max-attempts, but a task that loses too many (e.g. a record that kills its worker) fails.
 */
export function killAttempt(
  s: MasterState,
  attemptId: string,
  reason: string,
  nowMs: number,
  actions: Action[],
  /** `count: false` for kills the master decides itself (job over, race lost): they say nothing about the task. */
  opts: { notifyWorker: boolean; count?: boolean } = { notifyWorker: true },
): void {
  const a = s.attempts.get(attemptId);
  assert(a && a.state === 'RUNNING', `kill of attempt ${attemptId} that is not running`);
  const job = getJob(s, a.jobId);
  const task = taskOf(job, a.taskId);
  finishAttempt(s, a, 'KILLED', nowMs);
  a.error = reason;
  if (opts.notifyWorker) actions.push({ kind: 'KillAttempt', nodeId: a.nodeId, attemptId, reason });
  discardOutput(s, job, a, actions);
  addCounter(job.counters, 'killedAttempts', 1);
  if (task.state === 'SUCCEEDED' || job.state !== 'RUNNING') return;
  if (opts.count !== false) task.killed++;
  if (task.killed >= job.spec.maxKilledAttempts) {
    failJob(s, job, `task ${task.id} was killed ${task.killed} times; last: ${reason}`, nowMs, actions, task);
    return;
  }
  if (!hasRunningAttempt(s, task)) setTaskState(job, task, 'PENDING');
}

/**
 * Map output copies on a core worker are gone (it died, or came back without them). A map with
 * another copy elsewhere keeps it; a map that lost every copy runs again
 * (completedMapsReexecuted), and running reduces, which cannot fetch it, are killed to start
 * over. `survived` lists outputs the worker still holds.
 */
export function onMapOutputLost(s: MasterState, nodeId: string, nowMs: number, actions: Action[], survived: ReadonlySet<string> = new Set()): void {
  for (const jobId of s.jobOrder) {
    const job = getJob(s, jobId);
    if (job.state !== 'RUNNING') continue;
    const lost: Task[] = [];
    for (const t of job.maps) {
      if (t.state !== 'SUCCEEDED' || !t.outputNodes?.includes(nodeId) || survived.has(t.winner!)) continue;
      t.outputNodes = t.outputNodes.filter((n) => n !== nodeId);
      if (t.handOffTo !== undefined && t.outputNodes.length === 0) t.handOffTo = undefined;
      if (t.outputNodes.length === 0) lost.push(t);
    }
    if (lost.length === 0) continue;
    for (const t of lost) rerunMap(job, t);
    for (const r of job.reduces) {
      for (const id of r.attempts) {
        if (s.attempts.get(id)?.state === 'RUNNING') killAttempt(s, id, `map output on ${nodeId} lost`, nowMs, actions, { notifyWorker: true, count: false });
      }
    }
  }
}

/** `task`: the task whose failures fail the job (it ends FAILED, the others KILLED); none for a job-wide cause. */
export function failJob(s: MasterState, job: Job, error: string, nowMs: number, actions: Action[], task?: Task): void {
  if (job.state !== 'RUNNING') return; // already ending (a kill inside this very failure, say)
  stopJob(s, job, 'FAILED', error, nowMs, actions, task);
}

/** Ends a running job: its attempts are killed (not counted against their tasks), then endJob. */
export function stopJob(s: MasterState, job: Job, state: 'FAILED' | 'KILLED', error: string, nowMs: number, actions: Action[], failedTask?: Task): void {
  job.error = error;
  for (const t of [...job.maps, ...job.reduces]) {
    for (const id of t.attempts) if (s.attempts.get(id)?.state === 'RUNNING') killAttempt(s, id, `job ${state === 'FAILED' ? 'failed' : 'killed'}`, nowMs, actions, { notifyWorker: true, count: false });
  }
  if (job.state === 'RUNNING') endJob(s, job, state, nowMs, actions, failedTask);
}

function finishAttempt(s: MasterState, a: Attempt, state: Attempt['state'], nowMs: number): void {
  a.state = state;
  a.finishedMs = nowMs;
  releaseSlot(s, a);
}

export function hasRunningAttempt(s: MasterState, task: Task): boolean {
  return task.attempts.some((id) => s.attempts.get(id)?.state === 'RUNNING');
}

/** Reduce attempts write under the output's temporary dir; a discarded one is removed there. */
function discardOutput(s: MasterState, job: Job, a: Attempt, actions: Action[]): void {
  if (a.kind !== 'reduce') return;
  if (job.spec.output.startsWith('s3://')) return; // its upload is aborted by the worker, or with AbortUpload
  const dir = attemptOutputDir(job.spec.output, a.id);
  const bs = bsOutputPath(dir);
  if (bs === undefined) actions.push({ kind: 'AbortAttempt', jobId: job.id, attemptId: a.id, output: dir });
  else if (fsLookup(s.fs, bs)) fsDelete(s, bs, true, actions);
}

/** The namespace path of a bs:// location, or undefined for other schemes. */
export function bsOutputPath(uri: string): string | undefined {
  return uri.startsWith('bs://') ? fsPath('/' + uri.slice('bs://'.length).replace(/^\/+/, '')) : undefined;
}

// the same name as @mr/shared's partName (the machine imports no package: it stays pure)
const part = (p: number) => `part-${String(p).padStart(5, '0')}`;

/** Task commit on bs://: rename the attempt's part into _temporary/committed (false: the job failed). */
function commitBsTask(s: MasterState, job: Job, a: Attempt, partition: number, nowMs: number, actions: Action[]): boolean {
  const out = bsOutputPath(job.spec.output)!;
  const from = `${bsOutputPath(attemptOutputDir(job.spec.output, a.id))}/${part(partition)}`;
  if (!fsLookup(s.fs, from)) {
    failJob(s, job, `commit of ${part(partition)}: ${a.id} reported success but bs://${from.slice(1)} is missing`, nowMs, actions);
    return false;
  }
  if (fsLookup(s.fs, `${out}/_temporary/committed/${part(partition)}`)) {
    failJob(s, job, `commit of ${part(partition)}: bs://${out.slice(1)}/_temporary/committed/${part(partition)} already exists (is another job writing this output?)`, nowMs, actions);
    return false;
  }
  fsInternal(() => fsRename(s, from, `${out}/_temporary/committed/${part(partition)}`, nowMs));
  fsDelete(s, bsOutputPath(attemptOutputDir(job.spec.output, a.id))!, true, actions);
  return true;
}

/** Job commit on bs://: replace old parts, move the committed ones in, drop _temporary, _SUCCESS last. */
function commitBsJob(s: MasterState, job: Job, nowMs: number, actions: Action[]): void {
  const out = bsOutputPath(job.spec.output)!;
  for (const e of fsChildren(s.fs, out, false)) {
    const name = e.path.slice(out.length + 1);
    if (name === '_SUCCESS' || name.startsWith('part-')) fsDelete(s, e.path, true, actions);
  }
  for (let p = 0; p < job.spec.numReducers; p++) {
    if (!fsLookup(s.fs, `${out}/_temporary/committed/${part(p)}`)) {
      failJob(s, job, `commit: bs://${out.slice(1)}/_temporary/committed/${part(p)} disappeared (was the output changed while the job ran?)`, nowMs, actions);
      return;
    }
    fsInternal(() => fsRename(s, `${out}/_temporary/committed/${part(p)}`, `${out}/${part(p)}`, nowMs));
  }
  fsDelete(s, `${out}/_temporary`, true, actions);
  fsTouch(s, `${out}/_SUCCESS`, nowMs);
  endJob(s, job, 'SUCCEEDED', nowMs, actions);
}
