import { describe, expect, it } from 'vitest';
import { simulate } from './cluster.js';

const seeds = (n: number, base = Number(process.env.MR_SIM_SEED ?? 1)) => Array.from({ length: n }, (_, i) => base + i);

function withSeed<T>(seed: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`MR_SIM_SEED=${seed}: ${(e as Error).message}`, { cause: e });
  }
}

describe('scheduler on a simulated cluster (design.md: master core is pure and deterministic)', () => {
  it('no failures, 300 nodes: every task is assigned exactly once and every job succeeds', () => {
    for (const seed of seeds(2)) {
      withSeed(seed, () => {
        const r = simulate({ seed, cores: 20, tasks: 280, slots: 2, jobs: [{ maps: 800, reducers: 50 }, { maps: 300, reducers: 7 }] });
        for (const job of r.state.jobs.values()) expect(job.state).toBe('SUCCEEDED');
        expect(r.launches.size).toBe(800 + 50 + 300 + 7);
        for (const [task, n] of r.launches) expect(n, task).toBe(1);
      });
    }
  });

  it('is deterministic: the same seed gives the same actions', () => {
    const a = simulate({ seed: 7, cores: 3, tasks: 30, slots: 2, jobs: [{ maps: 100, reducers: 5 }], failRate: 0.1, crashRatePerSec: 0.02 });
    const b = simulate({ seed: 7, cores: 3, tasks: 30, slots: 2, jobs: [{ maps: 100, reducers: 5 }], failRate: 0.1, crashRatePerSec: 0.02 });
    expect(JSON.stringify(a.actions)).toBe(JSON.stringify(b.actions));
    expect(a.steps).toBe(b.steps);
  });

  it('task worker crashes and flaky user code: jobs still succeed, no attempt goes to a DEAD node, no completed map re-runs', () => {
    for (const seed of seeds(10, 100)) {
      withSeed(seed, () => {
        const r = simulate({ seed, cores: 4, tasks: 200, slots: 2, jobs: [{ maps: 400, reducers: 20 }], failRate: 0.05, crashRatePerSec: 0.01 });
        const job = r.state.jobs.get('job-0')!;
        expect(job.state, job.error).toBe('SUCCEEDED');
        expect(job.counters.completedMapsReexecuted).toBe(0); // only task workers crash
        expect(job.counters.killedAttempts).toBeGreaterThan(0); // the crashes did hit running attempts
        expect(job.counters.failedAttempts).toBeGreaterThan(0);
      });
    }
  });

  it('user code that always throws fails the job after maxAttempts, naming the task and the error', () => {
    const r = simulate({ seed: 3, cores: 2, tasks: 4, slots: 2, jobs: [{ maps: 10, reducers: 2 }], failRate: 1 });
    const job = r.state.jobs.get('job-0')!;
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/^task m-\d{5} failed 4 times; last error: boom$/);
    // every task that failed stopped at exactly maxAttempts
    for (const t of job.maps) expect(t.failures).toBeLessThanOrEqual(4);
  });
});
