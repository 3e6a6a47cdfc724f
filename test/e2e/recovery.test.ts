import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { runOracle } from '../oracle.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, readOutput } from './helpers/output.js';
import { exited, freePort, GUTENBERG, reapAll, ROOT, tempDir, waitFor } from './helpers/procs.js';

const TESTING = join(ROOT, 'packages/jobs/dist/testing');
const books = filesUnder(GUTENBERG);
const reference = () => runOracle(wordcount, books, 2);

afterAll(reapAll);

describe('master kill -9 mid-job and restart on the same --data and port (issue 3)', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster(await freePort());
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('task-1', { role: 'task' });
    await c.waitAlive(['core-1', 'task-1']);
  });

  it('the job completes with the right output; completed maps are not re-run; status still answers', async () => {
    const markers = tempDir('markers-');
    const out = join(c.dir, 'restart');
    const args = [join(TESTING, 'markers.js'), '--input', GUTENBERG, '--output', out, '--reducers', '2', '--param', `dir=${markers}`, '--param', 'holdMs=1000', '--no-speculation'];
    const id = await c.submit(args);
    await waitFor('3 maps done', 30_000, async () => ((await c.progress(id))!.mapsDone >= 3 ? true : undefined));
    const port = Number(c.master.split(':')[1]);
    c.masterProc!.kill('SIGKILL');
    await exited(c.masterProc!);
    const downAt = Date.now();
    await c.startMaster(port);
    const s = await c.waitJob(id, 120_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
    expect(readOutput(out)).toEqual(reference());
    expect(s.counters.completedMapsReexecuted).toBe(0);
    expect(s.counters.mapAttempts).toBe(books.length); // nothing re-ran: running attempts survived too
    const nodes = await c.nodes();
    expect(nodes.filter((n) => n.state === 'ALIVE').map((n) => n.id).sort()).toEqual(['core-1', 'task-1']);
    console.log(`master restart: job elapsed ${s.elapsedMs} ms; back to SUCCEEDED ${Date.now() - downAt} ms after the kill`);
  });
});

describe('master restart with a worker that does not come back (issue 14): heartbeat times are never in the future', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster(await freePort());
    c.startWorker('core-1', { role: 'core' });
    await c.waitAlive(['core-1']);
  });

  it('mr nodes shows the last heartbeat really received (in the past), the node ALIVE within its grace', async () => {
    const port = Number(c.master.split(':')[1]);
    c.masterProc!.kill('SIGKILL');
    await exited(c.masterProc!);
    await c.kill('core-1'); // gone while the master was down: it never registers again
    await c.startMaster(port);
    const [node] = await c.nodes();
    const now = Date.now();
    expect(node).toMatchObject({ id: 'core-1', state: 'ALIVE' });
    expect(node!.lastHeartbeatMs).toBeLessThanOrEqual(now);
    const text = await c.mr(['nodes']);
    expect(text.code, text.stderr).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.startsWith('core-1'))!;
    expect(row).toMatch(/ \d+\.\ds ago$/);
    // the grace ends and it is DEAD; its last heartbeat stays the real one
    await waitFor('core-1 DEAD', 30_000, async () => ((await c.nodes()).find((n) => n.id === 'core-1')?.state === 'DEAD' ? true : undefined));
    expect((await c.nodes())[0]!.lastHeartbeatMs).toBe(node!.lastHeartbeatMs);
  });
});

describe('graceful drain (issue 3): SIGTERM a task worker, mr nodes drain a core worker, mid-job', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('core-2', { role: 'core' });
    c.startWorker('task-1', { role: 'task' });
    await c.waitAlive(['core-1', 'core-2', 'task-1']);
  });

  it('loses nothing: the drained workers finish their attempts, hand over map outputs and exit 0', async () => {
    const markers = tempDir('markers-');
    const out = join(c.dir, 'drain');
    const id = await c.submit([join(TESTING, 'markers.js'), '--input', GUTENBERG, '--output', out, '--reducers', '2', '--param', `dir=${markers}`, '--param', 'holdMs=1200', '--no-speculation']);
    await waitFor('2 maps done', 30_000, async () => ((await c.progress(id))!.mapsDone >= 2 ? true : undefined));
    const task = c.workers.get('task-1')!;
    task.kill('SIGTERM');
    const drained = await c.mr(['nodes', 'drain', 'core-2', '--json']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(JSON.parse(drained.stdout)).toMatchObject({ id: 'core-2', state: 'DECOMMISSIONING' });
    expect(await exited(task, 60_000)).toBe(0);
    expect(await exited(c.workers.get('core-2')!, 60_000)).toBe(0);
    // gone as asked: DECOMMISSIONED (not DEAD) in mr nodes, its text table and /api/nodes (issue 14)
    const left = async () => (await c.nodes()).filter((n) => n.id !== 'core-1').map((n) => [n.id, n.state]);
    await waitFor('the drained workers to be DECOMMISSIONED', 20_000, async () => ((await left()).every(([, st]) => st === 'DECOMMISSIONED') ? true : undefined));
    expect(await left()).toEqual([['core-2', 'DECOMMISSIONED'], ['task-1', 'DECOMMISSIONED']]);
    const table = (await c.mr(['nodes'])).stdout.split('\n');
    for (const id of ['core-2', 'task-1']) expect(table.find((l) => l.startsWith(id))).toMatch(/ DECOMMISSIONED /);
    const api = (await c.api<{ id: string; state: string }[]>('/api/nodes'))!;
    expect(api.map((n) => [n.id, n.state])).toEqual([['core-1', 'ALIVE'], ['core-2', 'DECOMMISSIONED'], ['task-1', 'DECOMMISSIONED']]);
    const s = await c.waitJob(id, 120_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
    expect(readOutput(out)).toEqual(reference());
    expect(s.counters.killedAttempts).toBe(0);
    expect(s.counters.failedAttempts).toBe(0);
    expect(s.counters.completedMapsReexecuted).toBe(0);
  });
});

describe('speculation (issue 3): one map made 20x slower on one worker', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('task-slow', { role: 'task', env: { MR_TEST_SLOW: '1' } });
    await c.waitAlive(['core-1', 'task-slow']);
  });

  it('the job finishes without waiting for the straggler', async () => {
    const out = join(c.dir, 'spec');
    const id = await c.submit([join(TESTING, 'slow.js'), '--input', GUTENBERG, '--output', out, '--reducers', '2', '--param', 'slowMs=30000', '--task-timeout', '60s']);
    const s = await c.waitJob(id, 60_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
    expect(s.counters.speculativeAttempts).toBeGreaterThanOrEqual(1);
    expect(s.elapsedMs).toBeLessThan(30_000); // it did not wait for the stalled attempt
    expect(readOutput(out)).toEqual(reference());
  });
});
