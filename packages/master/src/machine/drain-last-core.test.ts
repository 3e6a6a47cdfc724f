import { describe, expect, it } from 'vitest';
import { initialState } from './state.js';
import { step } from './step.js';
import type { Action, JobSpec, MasterEvent, MasterState } from './types.js';

const spec: JobSpec = {
  name: 'wc', job: { builtin: 'wordcount' }, params: {}, inputs: ['/in'], output: '/out', numReducers: 1, sortBufferBytes: 1 << 20,
  maxAttempts: 2, maxKilledAttempts: 10, taskTimeoutMs: 600_000, speculation: false, skipBadRecords: false,
};
const register = (nodeId: string, role: 'core' | 'task', nowMs: number): MasterEvent =>
  ({ kind: 'NodeRegistered', nodeId, role, address: `${nodeId}:1`, slots: 1, running: [], mapOutputs: [], nowMs });

/** Steps `e` after heartbeats from every node that has not left, as live workers send them. */
function at(s: MasterState, e: MasterEvent): Action[] {
  for (const n of s.nodes.values()) {
    if (n.state === 'ALIVE' || n.state === 'DECOMMISSIONING') step(s, { kind: 'Heartbeat', nodeId: n.id, running: [...n.running], progress: [], nowMs: e.nowMs });
  }
  return step(s, e).actions;
}

const started = (actions: Action[]) => actions.flatMap((a) => (a.kind === 'StartAttempt' ? [{ ...a.spec, nodeId: a.nodeId }] : []));

describe('draining the last core worker while a job runs', () => {
  it('the job finishes on it (its map outputs go there), then it is released', () => {
    const s = initialState({ heartbeatTimeoutMs: 5_000, noCoreGraceMs: 30_000 });
    step(s, register('core-1', 'core', 0));
    step(s, register('task-1', 'task', 0));
    const first = started(step(s, { kind: 'JobSubmitted', jobId: 'j', spec, splits: [0, 1, 2, 3].map((i) => ({ uri: '/in', start: i, length: 1 })), nowMs: 1 }).actions);
    expect(first.map((a) => a.taskId).sort()).toEqual(['m-00000', 'm-00001']);
    at(s, { kind: 'DrainRequested', nodeId: 'core-1', nowMs: 100 });
    expect(s.nodes.get('core-1')!.state).toBe('DECOMMISSIONING');

    // the maps go on, on the task worker alone (a draining worker takes no new attempts), their
    // outputs to the draining core: it is the only place left
    let now = 200;
    const done = (id: string) => started(at(s, { kind: 'AttemptSucceeded', attemptId: id, counters: {}, storedOn: ['core-1'], nowMs: (now += 100) }));
    const later = [...done('j.m-00000.0'), ...done('j.m-00001.0')];
    later.push(...done(later[0]!.attemptId));
    for (const a of later) {
      expect(a.nodeId).toBe('task-1');
      expect(a.shuffleTargets.map((t) => t.nodeId)).toEqual(['core-1']);
    }
    expect(later.map((a) => a.taskId)).toEqual(['m-00002', 'm-00003']);
    // long past the no-core grace: the job is still running, the core not released
    at(s, { kind: 'Tick', nowMs: (now = 60_000) });
    expect(s.jobs.get('j')!.state).toBe('RUNNING');
    expect(s.nodes.get('core-1')!.released).toBeUndefined();
    const reduce = done(later[1]!.attemptId);
    expect(reduce.map((a) => [a.taskId, a.nodeId])).toEqual([['r-00000', 'task-1']]);
    const end = at(s, { kind: 'AttemptSucceeded', attemptId: reduce[0]!.attemptId, counters: {}, nowMs: (now += 100) });
    expect(end.some((a) => a.kind === 'CommitJob')).toBe(true);
    // its shuffle data is needed no more once the reduces are done: it may go
    expect(end).toContainEqual({ kind: 'Release', nodeId: 'core-1' });
    at(s, { kind: 'JobCommitted', jobId: 'j', nowMs: (now += 100) });
    expect(s.jobs.get('j')!.state).toBe('SUCCEEDED');
  });

  it('when the drained core workers have left, a running job fails saying so', () => {
    const s = initialState({ heartbeatTimeoutMs: 5_000, noCoreGraceMs: 30_000 });
    step(s, register('core-1', 'core', 0));
    step(s, { kind: 'JobSubmitted', jobId: 'j', spec, splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    at(s, { kind: 'DrainRequested', nodeId: 'core-1', nowMs: 100 });
    // its drain timeout ran out with the map still running: it exits and stops heartbeating
    step(s, { kind: 'Tick', nowMs: 10_000 });
    expect(s.nodes.get('core-1')!.state).toBe('DECOMMISSIONED');
    step(s, { kind: 'Tick', nowMs: 41_000 });
    const job = s.jobs.get('j')!;
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/no core worker has been alive for 31 s to hold shuffle data; the last core workers were drained \(core-1\)/);
  });
});
