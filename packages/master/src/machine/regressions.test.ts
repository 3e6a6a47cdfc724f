import { describe, expect, it } from 'vitest';
import { initialState } from './state.js';
import { step } from './step.js';
import type { JobSpec, MasterState } from './types.js';

const spec = (o: Partial<JobSpec> = {}): JobSpec => ({
  name: 'wc', job: { builtin: 'wordcount' }, params: {}, inputs: ['/in'], output: '/out', numReducers: 1, sortBufferBytes: 1 << 20,
  maxAttempts: 4, maxKilledAttempts: 10, taskTimeoutMs: 30_000, speculation: false, skipBadRecords: false, ...o,
});

function cluster(): MasterState {
  const s = initialState();
  step(s, { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots: 2, running: [], mapOutputs: [], nowMs: 0 });
  step(s, { kind: 'NodeRegistered', nodeId: 'task-1', role: 'task', address: 'b:1', slots: 2, running: [], mapOutputs: [], nowMs: 0 });
  return s;
}

describe('machine regressions found in review', () => {
  it('a task timeout while the attempt awaits a user function\'s promise names the function; once it settled, plain no progress', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ taskTimeoutMs: 3_000, maxAttempts: 2 }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 0 });
    const first = sub.actions.flatMap((a) => (a.kind === 'StartAttempt' ? [a] : []))[0]!;
    const running = (nodeId: string) => [...s.nodes.get(nodeId)!.running];
    step(s, { kind: 'Heartbeat', nodeId: first.nodeId, running: running(first.nodeId), progress: [{ attemptId: first.spec.attemptId, units: 1, awaiting: 'map' }], nowMs: 1_000 });
    step(s, { kind: 'Tick', nowMs: 4_500 });
    expect(s.attempts.get(first.spec.attemptId)).toMatchObject({ state: 'FAILED', error: 'map returned a promise that did not settle within 3s (--task-timeout)' });
    const second = [...s.attempts.values()].find((a) => a.state === 'RUNNING')!;
    // the promise settled (awaiting gone) and the attempt then stopped moving: its own code is stuck
    step(s, { kind: 'Heartbeat', nodeId: second.nodeId, running: running(second.nodeId), progress: [{ attemptId: second.id, units: 1, awaiting: 'reduce' }], nowMs: 5_000 });
    step(s, { kind: 'Heartbeat', nodeId: second.nodeId, running: running(second.nodeId), progress: [{ attemptId: second.id, units: 1 }], nowMs: 6_000 });
    step(s, { kind: 'Tick', nowMs: 8_500 });
    expect(s.attempts.get(second.id)).toMatchObject({ state: 'FAILED', error: 'no progress for 4 s (--task-timeout 3 s)' });
  });

  it('killing or failing a job whose tasks are at their kill limit ends it once (no double end, no throw)', () => {
    const s = cluster();
    step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ maxKilledAttempts: 1 }), splits: [0, 1, 2].map((i) => ({ uri: '/in', start: i, length: 1 })), nowMs: 1 });
    const { actions } = step(s, { kind: 'KillJob', jobId: 'j', requestId: 1, nowMs: 2 });
    expect(s.jobs.get('j')!.state).toBe('KILLED');
    expect(actions.filter((a) => a.kind === 'JobFinished')).toHaveLength(1);
    expect(actions).toContainEqual({ kind: 'Reply', requestId: 1, ok: true, value: 'KILLED' });
    // killing it again is no usage error (exit 2): the job has ended, and the answer says how
    expect(step(s, { kind: 'KillJob', jobId: 'j', requestId: 2, nowMs: 3 }).actions)
      .toEqual([{ kind: 'Reply', requestId: 2, ok: false, code: 'MR_ERR_JOB_ENDED', message: 'job j already KILLED; nothing to kill' }]);

    const t = cluster();
    step(t, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ maxKilledAttempts: 1 }), splits: [0, 1, 2, 3].map((i) => ({ uri: '/in', start: i, length: 1 })), nowMs: 1 });
    // the task worker dies with two attempts: the first kill fails the job, the second must not end it again
    const dead = step(t, { kind: 'NodeDisconnected', nodeId: 'task-1', nowMs: 2 });
    expect(t.jobs.get('j')!.state).toBe('FAILED');
    expect(dead.actions.filter((a) => a.kind === 'JobFinished')).toHaveLength(1);
    for (const n of t.nodes.values()) expect(n.running).toEqual([]);
  });

  it('a heartbeat from a node declared DEAD closes its session instead of reviving it', () => {
    const s = cluster();
    step(s, { kind: 'Tick', nowMs: 60_000 });
    expect(s.nodes.get('core-1')!.state).toBe('DEAD');
    const { actions } = step(s, { kind: 'Heartbeat', nodeId: 'core-1', running: [], progress: [], nowMs: 60_001 });
    expect(actions).toEqual([{ kind: 'CloseSession', nodeId: 'core-1', reason: 'declared dead: register again' }]);
    expect(s.nodes.get('core-1')!.state).toBe('DEAD');
  });

  it('after a master restart nothing is assigned to a node before it registers again', () => {
    const s = cluster();
    step(s, { kind: 'MasterRecovered', nowMs: 5 });
    const { actions } = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec(), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 6 });
    expect(actions.filter((a) => a.kind === 'StartAttempt')).toEqual([]);
    const after = step(s, { kind: 'NodeRegistered', nodeId: 'task-1', role: 'task', address: 'b:1', slots: 2, running: [], mapOutputs: [], nowMs: 7 });
    expect(after.actions.filter((a) => a.kind === 'StartAttempt')).toHaveLength(1);
  });

  it('--max-killed-attempts counts kills since the task last succeeded, not over its whole life', () => {
    const s = initialState();
    const reg = (nowMs: number) => step(s, { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots: 1, running: [], mapOutputs: [], nowMs });
    const drop = (nowMs: number) => step(s, { kind: 'NodeDisconnected', nodeId: 'core-1', nowMs });
    reg(0);
    step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ maxKilledAttempts: 2 }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    drop(2); // kill 1
    reg(3);
    step(s, { kind: 'AttemptSucceeded', attemptId: 'j.m-00000.1', counters: {}, nowMs: 4 });
    drop(5); // the output is lost: the map runs again
    reg(6);
    drop(7); // kill 1 of the new run (it would be the 2nd over the task's life)
    const job = s.jobs.get('j')!;
    expect(job.state).toBe('RUNNING');
    expect(job.counters.completedMapsReexecuted).toBe(1);
  });
});
