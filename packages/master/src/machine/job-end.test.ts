import { describe, expect, it } from 'vitest';
import { initialState } from './state.js';
import { step } from './step.js';
import type { Job, JobSpec, MasterEvent, MasterState } from './types.js';

const spec = (o: Partial<JobSpec> = {}): JobSpec => ({
  name: 'wc', job: { builtin: 'wordcount' }, params: {}, inputs: ['/in'], output: '/out', numReducers: 2, sortBufferBytes: 1 << 20,
  maxAttempts: 2, maxKilledAttempts: 10, taskTimeoutMs: 30_000, speculation: false, skipBadRecords: false, ...o,
});

const register = (nodeId: string, role: 'core' | 'task', nowMs: number): MasterEvent =>
  ({ kind: 'NodeRegistered', nodeId, role, address: `${nodeId}:1`, slots: 2, running: [], mapOutputs: [], nowMs });

/** Three maps on two workers (journal.test.ts replays the same story) of two slots: m-00000 fails twice (--max-attempts 2), m-00001 succeeds first. */
function failingJob(): MasterEvent[] {
  return [
    register('core-1', 'core', 0),
    register('task-1', 'task', 0),
    { kind: 'JobSubmitted', jobId: 'j', spec: spec(), splits: [0, 1, 2].map((i) => ({ uri: '/in', start: i, length: 1 })), nowMs: 1 },
    { kind: 'AttemptSucceeded', attemptId: 'j.m-00001.0', counters: {}, nowMs: 2 },
    { kind: 'AttemptFailed', attemptId: 'j.m-00000.0', error: 'boom', nowMs: 3 },
    { kind: 'AttemptFailed', attemptId: 'j.m-00000.1', error: 'boom again', nowMs: 4 },
  ];
}

function run(events: MasterEvent[]): MasterState {
  const s = initialState();
  for (const e of events) step(s, e);
  return s;
}

const states = (job: Job) => Object.fromEntries([...job.maps, ...job.reduces].map((t) => [t.id, t.state]));

describe('a job that ends settles its tasks (no task of an ended job is PENDING or RUNNING)', () => {
  it('FAILED job: the task that failed it is FAILED with the error, unfinished ones KILLED, finished ones SUCCEEDED', () => {
    const s = run(failingJob());
    const job = s.jobs.get('j')!;
    expect(job.state).toBe('FAILED');
    expect(states(job)).toEqual({ 'm-00000': 'FAILED', 'm-00001': 'SUCCEEDED', 'm-00002': 'KILLED', 'r-00000': 'KILLED', 'r-00001': 'KILLED' });
    expect(job.maps[0]!.error).toBe('task m-00000 failed 2 times; last error: boom again');
    expect(job.maps[0]!.error).toBe(job.error);
    expect(job.maps[2]!.error).toBe('job failed before the task finished');
    expect(job.reduces[0]!.error).toBe('job failed before the task finished');
    expect(job.maps[1]!.error).toBeUndefined();
    // the scheduler's counts agree: nothing left to schedule
    expect(job.progress).toMatchObject({ map: { succeeded: 1, pending: 0 }, reduce: { succeeded: 0, pending: 0 } });
    for (const id of job.maps[2]!.attempts) expect(s.attempts.get(id)!.state).toBe('KILLED');
  });

  it('KILLED job: every task that had not succeeded is KILLED, running or never started', () => {
    const s = run([
      register('core-1', 'core', 0),
      { kind: 'JobSubmitted', jobId: 'j', spec: spec(), splits: [0, 1, 2].map((i) => ({ uri: '/in', start: i, length: 1 })), nowMs: 1 },
      { kind: 'AttemptSucceeded', attemptId: 'j.m-00000.0', counters: {}, nowMs: 2 },
      { kind: 'KillJob', jobId: 'j', requestId: 1, nowMs: 3 },
    ]);
    const job = s.jobs.get('j')!;
    expect(job.state).toBe('KILLED');
    expect(states(job)).toEqual({ 'm-00000': 'SUCCEEDED', 'm-00001': 'KILLED', 'm-00002': 'KILLED', 'r-00000': 'KILLED', 'r-00001': 'KILLED' });
    // m-00001 and m-00002 were running (2 slots), the reduces never started: KILLED all the same
    expect(job.maps[1]!.attempts).toHaveLength(1);
    expect(job.reduces[0]!.attempts).toHaveLength(0);
    for (const t of [...job.maps.slice(1), ...job.reduces]) expect(t.error).toBe('job killed before the task finished');
  });

  it('a job failed by a cause of its own (no core worker for too long): its unfinished tasks are KILLED, none FAILED', () => {
    const s = run([
      register('core-1', 'core', 0),
      register('task-1', 'task', 0),
      { kind: 'JobSubmitted', jobId: 'j', spec: spec(), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 },
      { kind: 'NodeDisconnected', nodeId: 'core-1', nowMs: 2 },
      { kind: 'Heartbeat', nodeId: 'task-1', running: [], progress: [], nowMs: 2 },
      { kind: 'Tick', nowMs: 3 },
      { kind: 'Heartbeat', nodeId: 'task-1', running: [], progress: [], nowMs: 40_000 },
      { kind: 'Tick', nowMs: 40_000 },
    ]);
    const job = s.jobs.get('j')!;
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/no core worker has been alive/);
    expect(states(job)).toEqual({ 'm-00000': 'KILLED', 'r-00000': 'KILLED', 'r-00001': 'KILLED' });
  });
});
