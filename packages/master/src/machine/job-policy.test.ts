import { describe, expect, it } from 'vitest';
import { initialState } from './state.js';
import { MAX_GATHERED_TOTAL } from './attempts.js';
import { step } from './step.js';
import type { Action, AttemptSpec, JobSpec, MasterState } from './types.js';

const spec = (o: Partial<JobSpec> = {}): JobSpec => ({
  name: 'fl', job: { builtin: 'flowlogs' }, params: {}, inputs: ['/in'], output: '/out', numReducers: 1, sortBufferBytes: 1 << 20,
  maxAttempts: 4, maxKilledAttempts: 10, taskTimeoutMs: 30_000, speculation: false, skipBadRecords: false, ...o,
});

function cluster(slots = 8): MasterState {
  const s = initialState();
  step(s, { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots, running: [], mapOutputs: [], nowMs: 0 });
  return s;
}

const started = (actions: Action[]): AttemptSpec[] => actions.flatMap((a) => (a.kind === 'StartAttempt' ? [a.spec] : []));

describe('gathering jobs (JobDefinition.gather)', () => {
  it('reduce task 0 starts with tasks 1..R-1 and is sent what they emitted, in partition order, when the last succeeds', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 3, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const [map] = started(sub.actions);
    const afterMap = step(s, { kind: 'AttemptSucceeded', attemptId: map!.attemptId, counters: {}, nowMs: 2 });
    // task 0 goes last, once the others have their slots: it will wait for them holding its own
    const [first, second, zero] = started(afterMap.actions);
    const reduces = [zero!, first!, second!];
    expect(reduces.map((r) => [r.partition, r.gatherPending, r.gathered])).toEqual([[0, true, undefined], [1, undefined, undefined], [2, undefined, undefined]]);
    const sent = (actions: Action[]) => actions.filter((a) => a.kind === 'SendGathered');
    const r2 = step(s, { kind: 'AttemptSucceeded', attemptId: reduces[2]!.attemptId, counters: {}, gathered: ['["b",2]'], nowMs: 3 });
    expect(sent(r2.actions)).toEqual([]);
    // waiting for the others past the task timeout (30 s) is neither stuck nor slow: no kill, no backup
    const alive = (nowMs: number) => {
      const running = reduces.map((r) => r.attemptId).filter((id) => s.attempts.get(id)!.state === 'RUNNING');
      // task 1 keeps reading (its progress grows); task 0 waits
      const progress = running.filter((id) => id !== reduces[0]!.attemptId).map((attemptId) => ({ attemptId, units: nowMs }));
      return [...step(s, { kind: 'Heartbeat', nodeId: 'core-1', running, progress, nowMs }).actions, ...step(s, { kind: 'Tick', nowMs }).actions];
    };
    for (let t = 4_000; t <= 60_000; t += 4_000) expect(alive(t).filter((a) => a.kind === 'KillAttempt' || a.kind === 'StartAttempt')).toEqual([]);
    expect(s.attempts.get(reduces[0]!.attemptId)!.state).toBe('RUNNING');
    const last = step(s, { kind: 'AttemptSucceeded', attemptId: reduces[1]!.attemptId, counters: {}, gathered: ['["a",1]', '["c",3]'], nowMs: 61_000 });
    expect(sent(last.actions)).toEqual([{ kind: 'SendGathered', nodeId: 'core-1', attemptId: reduces[0]!.attemptId, gathered: ['["a",1]', '["c",3]', '["b",2]'] }]);
    // from now on its task timeout counts again
    const after = [65_000, 69_000, 73_000, 77_000, 81_000, 85_000, 89_000, 93_000].flatMap(alive);
    expect(after.some((a) => a.kind === 'KillAttempt' && a.attemptId === reduces[0]!.attemptId)).toBe(true);
  });

  it('with one slot, task 0 waits for its turn rather than for tasks that could never get a slot', () => {
    const s = cluster(1);
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 3, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    let launched = started(step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 }).actions);
    const order: number[] = [];
    for (let t = 3; launched.length > 0; t++) {
      expect(launched).toHaveLength(1);
      const [a] = launched;
      order.push(a!.partition!);
      expect(a!.gatherPending).toBeUndefined();
      launched = started(step(s, { kind: 'AttemptSucceeded', attemptId: a!.attemptId, counters: {}, ...(a!.partition! > 0 ? { gathered: [`["k${a!.partition}",1]`] } : {}), nowMs: t }).actions);
    }
    expect(order).toEqual([1, 2, 0]);
    expect(s.jobs.get('j')!.state).not.toBe('FAILED');
  });

  it('a waiting task 0 gives up its slot when a task it gathers from needs one again and none is free', () => {
    // two task workers of one slot each beside the core worker's one: all three slots busy
    const s = cluster(1);
    for (const id of ['task-1', 'task-2']) step(s, { kind: 'NodeRegistered', nodeId: id, role: 'task', address: `${id}:1`, slots: 1, running: [], mapOutputs: [], nowMs: 0 });
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 3, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const reduces = started(step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 }).actions);
    const zero = s.attempts.get(reduces.find((r) => r.partition === 0)!.attemptId)!;
    const two = s.attempts.get(reduces.find((r) => r.partition === 2)!.attemptId)!;
    expect(reduces.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
    // task 2's node stops heartbeating: task 2 is PENDING again, every live slot is taken
    const beat = (nowMs: number) => {
      for (const n of s.nodes.values()) {
        if (n.id !== two.nodeId) step(s, { kind: 'Heartbeat', nodeId: n.id, running: [...n.running], progress: n.running.map((attemptId) => ({ attemptId, units: nowMs })), nowMs });
      }
    };
    beat(6_000);
    const after = step(s, { kind: 'Tick', nowMs: 6_000 }).actions;
    expect(after).toContainEqual({ kind: 'KillAttempt', nodeId: zero.nodeId, attemptId: zero.id, reason: 'gives its slot to a task it gathers from' });
    const relaunched = started(after);
    expect(relaunched.map((r) => [r.partition, r.gatherPending])).toEqual([[2, undefined]]);
    expect(s.jobs.get('j')!.reduces[0]!.killed).toBe(0); // not counted against task 0
    // task 1's slot frees: task 0 runs again (all the others have started) and gets their output
    const back = started(step(s, { kind: 'AttemptSucceeded', attemptId: reduces.find((r) => r.partition === 1)!.attemptId, counters: {}, gathered: ['["a",1]'], nowMs: 6_100 }).actions);
    expect(back.map((r) => [r.partition, r.gatherPending])).toEqual([[0, true]]);
    const done = step(s, { kind: 'AttemptSucceeded', attemptId: relaunched[0]!.attemptId, counters: {}, gathered: ['["b",2]'], nowMs: 6_200 }).actions;
    expect(done).toContainEqual({ kind: 'SendGathered', nodeId: s.attempts.get(back[0]!.attemptId)!.nodeId, attemptId: back[0]!.attemptId, gathered: ['["a",1]', '["b",2]'] });
  });

  it('a worker that registers again gets the gathered output for its waiting task 0 once more (it may have missed it)', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 2, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const [one, zero] = started(step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 }).actions);
    expect(zero!.gatherPending).toBe(true);
    step(s, { kind: 'AttemptSucceeded', attemptId: one!.attemptId, counters: {}, gathered: ['["a",1]'], nowMs: 3 });
    const again = step(s, { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots: 8, running: [zero!.attemptId], mapOutputs: [s.attempts.get(started(sub.actions)[0]!.attemptId)!.id], nowMs: 4 });
    expect(again.actions).toContainEqual({ kind: 'SendGathered', nodeId: 'core-1', attemptId: zero!.attemptId, gathered: ['["a",1]'] });
  });

  it('an attempt of task 0 started after tasks 1..R-1 are done carries their output from the start', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 2, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const [r1, r0] = started(step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 }).actions);
    step(s, { kind: 'AttemptSucceeded', attemptId: r1!.attemptId, counters: {}, gathered: ['["a",1]'], nowMs: 3 });
    const retry = started(step(s, { kind: 'AttemptFailed', attemptId: r0!.attemptId, error: 'boom', nowMs: 4 }).actions);
    expect(retry).toMatchObject([{ partition: 0, gathered: ['["a",1]'] }]);
    expect(retry[0]!.gatherPending).toBeUndefined();
  });

  it('without gather, every reduce starts at once and none carries gathered records', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 3 }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const after = step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 });
    expect(started(after.actions).map((r) => [r.partition, r.gathered])).toEqual([[0, undefined], [1, undefined], [2, undefined]]);
  });
});

describe('gathered output is bounded for the job', () => {
  it('fails the job with a clear error when tasks 1..R-1 hand task 0 too much', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 3, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const reduces = started(step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 }).actions);
    const half = 'x'.repeat(MAX_GATHERED_TOTAL / 2);
    step(s, { kind: 'AttemptSucceeded', attemptId: reduces[0]!.attemptId, counters: {}, gathered: [half], nowMs: 3 });
    expect(s.jobs.get('j')!.state).toBe('RUNNING');
    step(s, { kind: 'AttemptSucceeded', attemptId: reduces[1]!.attemptId, counters: {}, gathered: [half, 'y'], nowMs: 4 });
    expect(s.jobs.get('j')!).toMatchObject({ state: 'FAILED', error: 'reduce tasks 1..2 hand more than 32 MiB to task 0 (gather); use fewer reducers or a smaller result' });
  });

  it('tells tasks 1..R-1, not task 0, to hand their output back', () => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 3, gather: true }), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 1 });
    const reduces = started(step(s, { kind: 'AttemptSucceeded', attemptId: started(sub.actions)[0]!.attemptId, counters: {}, nowMs: 2 }).actions);
    expect(reduces.map((r) => [r.partition, r.gatherOutput])).toEqual([[1, true], [2, true], [0, undefined]]);
  });
});

describe('maxBadFraction', () => {
  // one file cut in three splits of 10, 10 and 10 lines (the first a header), and another file
  const splits = [
    { uri: '/in/a.log', start: 0, length: 100 },
    { uri: '/in/a.log', start: 100, length: 100 },
    { uri: '/in/a.log', start: 200, length: 100 },
    { uri: '/in/b.log', start: 0, length: 100 },
  ];
  const run = (maxBadFraction: number, bad: number[]) => {
    const s = cluster();
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ maxBadFraction }), splits, nowMs: 1 });
    const maps = started(sub.actions);
    let last: Action[] = [];
    // reported out of order: the message must still name the first bad line in path order
    for (const i of [3, 2, 1, 0]) {
      const counters = { inputRecords: 10, badRecords: bad[i]!, ...(i === 0 ? { headerRecords: 1 } : {}) };
      const firstBad = bad[i]! > 0 ? { offset: 1000 + i, line: 4, reason: `reason ${i}` } : undefined;
      last = step(s, { kind: 'AttemptSucceeded', attemptId: maps[i]!.attemptId, counters, ...(firstBad ? { firstBad } : {}), nowMs: 2 + i }).actions;
    }
    return { job: s.jobs.get('j')!, last };
  };

  it('fails the job when the maps end with more bad records than allowed, naming the first bad file and line', () => {
    const { job } = run(0.1, [0, 3, 2, 1]);
    expect(job.state).toBe('FAILED');
    // 6 bad of 39 data records (40 lines less one header); the first bad one is in a.log's second split: 10 lines before it
    expect(job.error).toBe('6 of 39 records are bad (15.4%, more than maxBadFraction 0.1); the first is /in/a.log line 14: reason 1');
  });

  it('lets the job go on at or under the limit', () => {
    const { job, last } = run(0.2, [0, 3, 2, 1]);
    expect(job.state).toBe('RUNNING');
    expect(started(last).map((a) => a.kind)).toEqual(['reduce']);
    expect(job.counters.badRecords).toBe(6);
  });
});

describe('counters of a map that runs again', () => {
  it('leave the job totals when its output is lost, so a re-run does not count its records twice', () => {
    const s = initialState();
    const reg = (nowMs: number) => step(s, { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots: 1, running: [], mapOutputs: [], nowMs });
    reg(0);
    step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec({ numReducers: 1 }), splits: [{ uri: '/in', start: 0, length: 1 }, { uri: '/in', start: 1, length: 1 }], nowMs: 1 });
    step(s, { kind: 'AttemptSucceeded', attemptId: 'j.m-00000.0', counters: { inputRecords: 7 }, nowMs: 2 });
    step(s, { kind: 'NodeDisconnected', nodeId: 'core-1', nowMs: 3 }); // its output is gone
    const job = s.jobs.get('j')!;
    expect(job.counters.inputRecords).toBe(0);
    reg(4);
    step(s, { kind: 'AttemptSucceeded', attemptId: 'j.m-00000.1', counters: { inputRecords: 7 }, nowMs: 5 });
    expect(job.counters).toMatchObject({ inputRecords: 7, completedMapsReexecuted: 1 });
  });
});

describe('core workers whose disks are full (issue 15)', () => {
  it('a map waits for a core worker with room; when every one stays full past the grace period, the job fails saying so', () => {
    const s = cluster();
    const heartbeat = (full: boolean, nowMs: number) =>
      step(s, { kind: 'Heartbeat', nodeId: 'core-1', running: [], progress: [], disk: { freeBytes: full ? 0 : 1 << 30, reservedBytes: 1 << 20, full }, nowMs });
    heartbeat(true, 1);
    const sub = step(s, { kind: 'JobSubmitted', jobId: 'j', spec: spec(), splits: [{ uri: '/in', start: 0, length: 1 }], nowMs: 2 });
    expect(started(sub.actions)).toEqual([]); // no map output could be stored: the map waits
    // room again within the grace period: the map starts, with core-1 as its shuffle target
    const [map] = started(heartbeat(false, 10_000).actions);
    expect(map?.shuffleTargets).toEqual([{ nodeId: 'core-1', address: 'a:1' }]);
    step(s, { kind: 'AttemptFailed', attemptId: map!.attemptId, error: 'no space left on core-1 (/d): 0 B free', nowMs: 10_002 });
    // full again, for good: the retry waits, then the job fails naming the full core worker
    for (let t = 11_000; t <= 45_000; t += 1_000) {
      expect(started([...heartbeat(true, t).actions, ...step(s, { kind: 'Tick', nowMs: t }).actions])).toEqual([]);
    }
    expect(s.jobs.get('j')!.state).toBe('FAILED');
    expect(s.jobs.get('j')!.error).toMatch(/^every core worker has been full for 3\d s, so map outputs have nowhere to go: core-1 \(0\.0 MiB free, --reserved-space 1\.0 MiB\)$/);
  });
});
