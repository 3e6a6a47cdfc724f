import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../packages/master/src/index.js';
import { simulate, type SimOptions } from './cluster.js';

const base = (seed: number, o: Partial<SimOptions> = {}): SimOptions => ({ seed, cores: 3, tasks: 12, slots: 2, jobs: [{ maps: 120, reducers: 6 }], ...o });

function run(o: SimOptions) {
  try {
    return simulate(o);
  } catch (e) {
    throw new Error(`MR_SIM_SEED=${o.seed}: ${(e as Error).message}`, { cause: e });
  }
}

const job0 = (r: ReturnType<typeof simulate>) => r.state.jobs.get('job-0')!;

describe('fault handling on the simulated cluster (issue 3)', () => {
  it('journal replay: feeding the recorded events to a fresh machine gives the same state', () => {
    const r = run(base(11, { failRate: 0.05, crashRatePerSec: 0.02, reorder: true, speculation: true }));
    const replayed = initialState({ heartbeatTimeoutMs: 5_000 });
    for (const e of r.events) step(replayed, e);
    expect(JSON.stringify([...replayed.jobs.values()])).toBe(JSON.stringify([...r.state.jobs.values()]));
    expect(JSON.stringify([...replayed.nodes.values()])).toBe(JSON.stringify([...r.state.nodes.values()]));
  });

  /** When the undisturbed run's map phase ends and its job ends: to aim a restart mid-map or mid-reduce. */
  function phases(o: SimOptions) {
    const r = run(o);
    const job = job0(r);
    const mapsEnd = Math.max(...job.maps.map((t) => r.state.attempts.get(t.winner!)!.finishedMs!));
    return { start: job.submittedMs, mapsEnd, end: job.finishedMs! };
  }

  const restarted = (r: ReturnType<typeof simulate>) => {
    const i = r.events.findIndex((e) => e.kind === 'MasterRecovered');
    return r.events.slice(i).filter((e) => e.kind === 'NodeRegistered' && e.running.length > 0).length;
  };

  it('master restart mid-map: the job completes, workers keep running attempts, no completed map re-runs', () => {
    for (const seed of [21, 22, 23, 24]) {
      const o = base(seed, { jobs: [{ maps: 600, reducers: 12 }] });
      const p = phases(o);
      const r = run({ ...o, masterRestartAtMs: Math.round((p.start + p.mapsEnd) / 2) });
      const job = job0(r);
      expect(job.state, `seed ${seed}: ${job.error}`).toBe('SUCCEEDED');
      expect(job.counters.completedMapsReexecuted).toBe(0);
      expect(restarted(r)).toBeGreaterThan(5); // reconnecting workers still had attempts running
      expect(job.counters.killedAttempts).toBe(0); // and none of them was lost
    }
  });

  it('master restart mid-reduce with reordered and duplicated reports', () => {
    for (const seed of [31, 32, 33]) {
      const o = base(seed, { jobs: [{ maps: 200, reducers: 60 }], reorder: true, failRate: 0.03 });
      const p = phases(o);
      const r = run({ ...o, masterRestartAtMs: Math.round((p.mapsEnd + p.end) / 2) });
      expect(job0(r).state, job0(r).error).toBe('SUCCEEDED');
      expect(job0(r).counters.completedMapsReexecuted).toBe(0);
      expect(r.events.some((e) => e.kind === 'MasterRecovered')).toBe(true);
      // nothing that finished while the master was away was redone
      expect(job0(r).counters.killedAttempts).toBe(0);
    }
  });

  it('hung attempts fail after the task timeout and are retried elsewhere', () => {
    const r = run(base(41, { hangRate: 0.05, taskTimeoutMs: 10_000 }));
    const job = job0(r);
    expect(job.state, job.error).toBe('SUCCEEDED');
    expect(job.counters.failedAttempts).toBeGreaterThan(0);
    const timedOut = [...r.state.attempts.values()].filter((a) => a.state === 'FAILED' && /no progress for \d+ s \(--task-timeout 10 s\)/.test(a.error ?? ''));
    expect(timedOut.length).toBe(job.counters.failedAttempts);
  });

  it('speculation: stragglers on a slow node get backups, and the job ends much sooner', () => {
    const slow = { slowNodes: ['task-0'], slowFactor: 20 };
    const without = run(base(51, { ...slow, speculation: false }));
    const withSpec = run(base(51, { ...slow, speculation: true }));
    expect(job0(without).counters.speculativeAttempts).toBe(0);
    expect(job0(withSpec).counters.speculativeAttempts).toBeGreaterThan(0);
    const elapsed = (r: ReturnType<typeof simulate>) => job0(r).finishedMs! - job0(r).submittedMs;
    expect(elapsed(withSpec)).toBeLessThan(elapsed(without) * 0.6);
    // a backup never runs on the node of the attempt it backs up
    for (const t of [...job0(withSpec).maps, ...job0(withSpec).reduces]) {
      const nodes = t.attempts.map((id) => withSpec.state.attempts.get(id)!).filter((a) => a.speculative).map((a) => a.nodeId);
      const first = withSpec.state.attempts.get(t.attempts[0]!)!;
      expect(nodes).not.toContain(first.nodeId);
    }
  });

  it('no speculation when nothing is slow: every task runs once', () => {
    const r = run(base(61, { speculation: true }));
    expect(job0(r).counters.speculativeAttempts).toBe(0);
    for (const [task, n] of r.launches) expect(n, task).toBe(1);
  });

  it('draining a core worker: its second copies are dropped, it is released, no map re-runs', () => {
    for (const seed of [71, 72, 73]) {
      const r = run(base(seed, { drains: [{ nodeId: 'core-1', atMs: 3_000 }, { nodeId: 'task-3', atMs: 3_500 }] }));
      const job = job0(r);
      expect(job.state, job.error).toBe('SUCCEEDED');
      expect(job.counters.completedMapsReexecuted).toBe(0);
      expect(r.actions.filter((a) => a.kind === 'Release').map((a) => a.nodeId).sort()).toEqual(['core-1', 'task-3']);
    }
  });

  it('draining a core worker that holds the only copy (the other holder died) hands it over first', () => {
    for (const seed of [74, 75]) {
      const r = run(base(seed, { jobs: [{ maps: 400, reducers: 6 }], kills: [{ nodeId: 'core-0', atMs: 3_000 }], drains: [{ nodeId: 'core-1', atMs: 3_200 }] }));
      const job = job0(r);
      expect(job.state, job.error).toBe('SUCCEEDED');
      expect(r.actions.filter((a) => a.kind === 'HandOff').length).toBeGreaterThan(0);
      // the kill alone re-runs nothing (every map had a second copy), the drain hands over rather than re-runs
      expect(job.counters.completedMapsReexecuted).toBe(0);
    }
  });

  it('map outputs are kept twice: killing one core worker re-runs only maps that lost every copy', () => {
    const r = run(base(81, { jobs: [{ maps: 400, reducers: 6 }], kills: [{ nodeId: 'core-0', atMs: 3_000 }] }));
    expect(job0(r).state).toBe('SUCCEEDED');
    expect(job0(r).counters.completedMapsReexecuted).toBe(0);
    const two = run(base(82, { jobs: [{ maps: 400, reducers: 6 }], kills: [{ nodeId: 'core-0', atMs: 3_000 }, { nodeId: 'core-1', atMs: 3_000 }] }));
    const job = job0(two);
    expect(job.state).toBe('SUCCEEDED');
    // only the maps whose both copies were on core-0 and core-1 ran again
    expect(job.counters.completedMapsReexecuted).toBeGreaterThan(0);
    expect(job.counters.completedMapsReexecuted).toBeLessThan(job.counters.mapTasks! / 2);
  });

  it('gathering jobs under chaos: task 0 runs with the others and gets every other task\'s output once they are done; counters count each map once', () => {
    let reexecuted = 0;
    for (let seed = 2000; seed < 2008; seed++) {
      const r = run(base(seed, {
        jobs: [{ maps: 60, reducers: 7, gather: true }], failRate: 0.04, crashRatePerSec: 0.03, reorder: true, speculation: true,
        // two core workers at once: maps with both copies there run again
        kills: [{ nodeId: 'core-0', atMs: 2_500 }, { nodeId: 'core-1', atMs: 2_500 }], masterRestartAtMs: 4_000 + seed,
      }));
      const job = job0(r);
      expect(job.state, `seed ${seed}: ${job.error}`).toBe('SUCCEEDED');
      reexecuted += job.counters.completedMapsReexecuted ?? 0;
      // each succeeded map reports inputRecords 1: re-runs after lost output must not count twice
      expect(job.counters.inputRecords, `seed ${seed}`).toBe(60);
    }
    expect(reexecuted).toBeGreaterThan(0);
  });

  it('chaos: crashes, flaky code, hung attempts, reordering, speculation, a drain and a master restart together', () => {
    for (let seed = 1000; seed < 1012; seed++) {
      const r = run(base(seed, {
        failRate: 0.04, hangRate: 0.02, crashRatePerSec: 0.02, reorder: true, speculation: true, taskTimeoutMs: 8_000,
        slowNodes: ['task-1'], masterRestartAtMs: 6_000 + seed, drains: [{ nodeId: 'core-2', atMs: 5_000 }],
      }));
      const job = job0(r);
      expect(job.state, `seed ${seed}: ${job.error}`).toBe('SUCCEEDED');
    }
  });
});
