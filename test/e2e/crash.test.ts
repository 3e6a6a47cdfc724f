import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { runOracle } from '../oracle.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, readOutput } from './helpers/output.js';
import { exited, GUTENBERG, reapAll, ROOT, waitFor } from './helpers/procs.js';

const TESTING = join(ROOT, 'packages/jobs/dist/testing');
const books = filesUnder(GUTENBERG);

describe('crash test (6.5840): attempts kill their worker or stall; the test respawns workers', () => {
  const c = new TestCluster();
  const ids = ['core-1', 'task-1', 'task-2'];
  let stop = false;
  let respawns = 0;
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('task-1', { role: 'task' });
    c.startWorker('task-2', { role: 'task' });
    await c.waitAlive(ids);
    // the test's supervisor: a worker that died is started again
    void (async () => {
      while (!stop) {
        for (const id of ids) {
          const p = c.workers.get(id)!;
          if (p.exitCode !== null || p.signalCode !== null) {
            c.restart(id);
            respawns++;
          }
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  });
  afterAll(async () => {
    stop = true;
    await reapAll();
  });

  it('the output equals the undisturbed word count', async () => {
    const out = join(c.dir, 'crash');
    const id = await c.submit([join(TESTING, 'crash.js'), '--input', GUTENBERG, '--output', out, '--reducers', '3', '--param', 'maxStallMs=10000']);
    const s = await c.waitJob(id, 240_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
    expect(readOutput(out)).toEqual(runOracle(wordcount, books, 3));
    expect(respawns).toBeGreaterThan(0); // workers really died
    expect(s.counters.killedAttempts).toBeGreaterThan(0);
  }, 300_000);
});

describe('chaos (issue 3): master + 1 core + 3 task workers, kill -9 a random task worker every 1-3 s', () => {
  const c = new TestCluster(['--heartbeat-timeout', '2s']);
  const input = join(c.dir, 'corpus');
  let next = 4;
  beforeAll(async () => {
    // about 50 MB: the books 15 times, as 120 files (120 maps)
    for (let i = 0; i < 15; i++) {
      mkdirSync(join(input, `copy-${i}`), { recursive: true });
      for (const f of books) cpSync(f, join(input, `copy-${i}`, f.split('/').pop()!));
    }
    await c.startMaster();
    c.startWorker('core-1', { role: 'core', slots: 1 });
    for (let i = 1; i <= 3; i++) c.startWorker(`task-${i}`, { role: 'task', slots: 1 });
    await c.waitAlive(['core-1', 'task-1', 'task-2', 'task-3']);
  });
  afterAll(reapAll);

  const taskWorkers = () => [...c.workers.entries()].filter(([id, p]) => id.startsWith('task-') && p.exitCode === null && p.signalCode === null).map(([id]) => id);

  async function runJob(name: string, chaos: boolean) {
    const out = join(c.dir, name);
    const started = Date.now();
    const id = await c.submit(['wordcount', '--input', input, '--output', out, '--reducers', '4']);
    let kills = 0;
    let done = false;
    const killer = (async () => {
      while (chaos && !done) {
        await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 2_000));
        if (done) break;
        const alive = taskWorkers();
        const victim = alive[Math.floor(Math.random() * alive.length)];
        if (!victim) continue;
        await c.kill(victim);
        kills++;
        c.startWorker(`task-${next++}`, { role: 'task', slots: 1 });
      }
    })();
    const s = await c.waitJob(id, 300_000);
    done = true;
    await killer;
    return { s, out, kills, wallMs: Date.now() - started };
  }

  it('three disturbed runs are byte-identical to the undisturbed one, and no completed map re-runs', async () => {
    const base = await runJob('calm', false);
    expect(base.s.state, base.s.error).toBe('SUCCEEDED');
    const reference = readOutput(base.out);
    expect(readdirSync(base.out).sort()).toEqual(['_SUCCESS', 'part-00000', 'part-00001', 'part-00002', 'part-00003']);
    const report = [`undisturbed: ${base.s.elapsedMs} ms ${JSON.stringify(base.s.counters)}`];
    for (let run = 1; run <= 3; run++) {
      const r = await runJob(`chaos-${run}`, true);
      expect(r.s.state, r.s.error).toBe('SUCCEEDED');
      expect(r.kills).toBeGreaterThan(0);
      expect(readOutput(r.out)).toEqual(reference);
      expect(r.s.counters.completedMapsReexecuted).toBe(0);
      report.push(`chaos ${run}: ${r.s.elapsedMs} ms, ${r.kills} kills, ${JSON.stringify(r.s.counters)}`);
    }
    console.log(report.join('\n'));
  }, 900_000);
});

describe('a standing worker whose attempt thread is busy in job code (issue 15): for (;;) in map, one slot', () => {
  const c = new TestCluster();
  const SPIN = join(ROOT, 'test/fixtures/spin.mjs');
  const book = join(GUTENBERG, 'pg-metamorphosis.txt');
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core', slots: 1 });
    await c.waitAlive(['core-1']);
  });
  afterAll(reapAll);

  it('the master kills the spinning attempt by its timeout; the worker replaces the thread and serves the next job', async () => {
    const spin = await c.submit([SPIN, '--input', book, '--output', join(c.dir, 'spin'), '--task-timeout', '2s', '--max-attempts', '1', '--no-speculation']);
    const failed = await c.waitJob(spin, 60_000);
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(/no progress for \d+ s \(--task-timeout 2 s\)/);
    // the only slot's thread was spinning: the next job needs its replacement
    const out = join(c.dir, 'after');
    const id = await c.submit(['wordcount', '--input', book, '--output', out]);
    const s = await c.waitJob(id, 60_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
    expect(readOutput(out)).toEqual(runOracle(wordcount, [book], 1));
  }, 150_000);

  it('a worker stopped (SIGINT) while its thread spins exits: the busy thread is terminated, not waited for', async () => {
    await c.submit([SPIN, '--input', book, '--output', join(c.dir, 'spin-2'), '--task-timeout', '10m', '--no-speculation']);
    await waitFor('the spinning attempt to start', 30_000, async () => ((await c.nodes()).find((n) => n.id === 'core-1')?.runningTasks ? true : undefined));
    const worker = c.workers.get('core-1')!;
    worker.kill('SIGINT');
    expect(await exited(worker, 20_000)).toBe(0);
  }, 90_000);
});
