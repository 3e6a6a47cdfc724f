/**
 * The master's web UI and JSON API (issue 8): a real cluster of processes, pages read by headless
 * Chromium while a job runs, and the token guarding what changes the cluster.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium, launchChromium } from './helpers/browser.js';
import { TestCluster } from './helpers/cluster.js';
import { GUTENBERG, readJsonFile, reapAll, ROOT, startMr, tempDir, waitFor } from './helpers/procs.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const SLOW = join(ROOT, 'packages/jobs/dist/testing/slow.js');

interface JobDetail {
  id: string;
  state: string;
  progress: { mapsDone: number; mapsTotal: number; reducesDone: number; reducesTotal: number };
  tasks: { id: string; kind: string; state: string; attempts: { id: string; nodeId: string; state: string; durationMs: number }[] }[];
}

describe('web UI and its API on --http-port', () => {
  const cluster = new TestCluster();
  let http = '';
  const token = () => cluster.env.MR_CLUSTER_TOKEN!;

  beforeAll(async () => {
    await cluster.startMaster();
    http = `http://${readJsonFile<{ httpAddress: string }>(join(cluster.dir, 'master', 'master.json'))!.httpAddress}`;
    // MR_TEST_SLOW: every map attempt of the `slow` job stalls on its first record (slowMs)
    cluster.startWorker('core-1', { role: 'core', slots: 2, env: { MR_TEST_SLOW: '1' } });
    await cluster.waitAlive(['core-1']);
  }, 60_000);
  afterAll(reapAll);

  const api = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
    const r = await fetch(http + path, init);
    return { status: r.status, body: (await r.json()) as T };
  };

  it('kill and drain need the cluster token (401 and nothing changes without it); with it the job is KILLED and leaves no output', async () => {
    const out = join(cluster.dir, 'killed-out');
    const id = await cluster.submit([SLOW, '--input', join(GUTENBERG, 'pg-grimm.txt'), '--output', out, '--param', 'slowMs=60000', '--no-speculation']);
    await waitFor('a running map attempt', 30_000, async () => {
      const { body } = await api<JobDetail>(`/api/jobs/${id}`);
      return body.tasks.some((t) => t.attempts.some((a) => a.state === 'RUNNING')) ? true : undefined;
    });

    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { 'x-mr-token': 'wrong' },
      // Basic credentials a browser caches would let another site's form post: not for changes
      { authorization: `Basic ${Buffer.from(`u:${token()}`).toString('base64')}` },
    ];
    for (const headers of refused) {
      const kill = await api<{ error: { code: string } }>(`/api/jobs/${id}/kill`, { method: 'POST', headers });
      expect(kill.status, JSON.stringify(headers)).toBe(401);
      expect(kill.body.error.code).toBe('MR_ERR_UNAUTHENTICATED');
      const drain = await api<{ error: { code: string } }>('/api/nodes/core-1/drain', { method: 'POST', headers });
      expect(drain.status).toBe(401);
    }
    expect((await api<JobDetail>(`/api/jobs/${id}`)).body.state).toBe('RUNNING');
    expect((await cluster.nodes()).find((n) => n.id === 'core-1')!.state).toBe('ALIVE');

    const missing = await api<{ error: { code: string } }>('/api/jobs/job-nope/kill', { method: 'POST', headers: { authorization: `Bearer ${token()}` } });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'MR_ERR_JOB_NOT_FOUND']);

    const killed = await api<{ state: string }>(`/api/jobs/${id}/kill`, { method: 'POST', headers: { authorization: `Bearer ${token()}` } });
    expect([killed.status, killed.body.state]).toEqual([200, 'KILLED']);
    const again = await api<{ error: { code: string; message: string } }>(`/api/jobs/${id}/kill`, { method: 'POST', headers: { 'x-mr-token': token() } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already KILLED; nothing to kill/);
    await waitFor('temporary output removed', 20_000, () => (!existsSync(out) || readdirSync(out).length === 0 ? true : undefined));
    expect((await cluster.status(id)).state).toBe('KILLED');
  }, 90_000);

  it('the JSON API: a job with every task and attempt, nodes with what they run and store, the block store', async () => {
    const id = await cluster.submit([SLOW, '--input', join(GUTENBERG, 'pg-grimm.txt'), '--output', join(cluster.dir, 'api-out'), '--param', 'slowMs=0']);
    await cluster.waitJob(id);
    const jobs = await api<{ id: string }[]>('/api/jobs');
    expect(jobs.status).toBe(200);
    expect(jobs.body.map((j) => j.id)).toContain(id);
    const { body: job } = await api<JobDetail>(`/api/jobs/${id}`);
    expect(job.state).toBe('SUCCEEDED');
    expect(job.tasks.filter((t) => t.kind === 'map').length).toBe(job.progress.mapsTotal);
    expect(job.tasks.filter((t) => t.kind === 'reduce').length).toBe(job.progress.reducesTotal);
    expect(job.tasks.flatMap((t) => t.attempts).every((a) => a.nodeId === 'core-1' && a.durationMs >= 0)).toBe(true);
    const nodes = await api<{ id: string; role: string; storedBytes?: number; runningAttempts: string[] }[]>('/api/nodes');
    expect(nodes.body.map((n) => [n.id, n.role, typeof n.storedBytes, Array.isArray(n.runningAttempts)])).toEqual([['core-1', 'core', 'number', true]]);
    const bs = await api<{ files: number; underReplicatedBlocks: number }>('/api/blockstore');
    expect(bs.body).toMatchObject({ files: 0, underReplicatedBlocks: 0 });
    expect((await api<{ error: { code: string } }>('/api/jobs/job-nope')).status).toBe(404);
    expect((await fetch(`${http}/blockstore`)).status).toBe(200);
    const page = await fetch(`${http}/jobs/${job.id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain(job.id);
  });

  it('headless Chromium: the job page shows the map phase moving while the job runs and ends SUCCEEDED', async (ctx) => {
    const browserPath = ensureChromium();
    if ('reason' in browserPath) {
      // CI installs chromium (.ci/run): there a missing browser is a failure, not a skip
      if (process.env.CI) throw new Error(browserPath.reason);
      console.warn(`skipping the browser test: ${browserPath.reason}`);
      ctx.skip();
      return;
    }
    const browser = await launchChromium(browserPath.path);
    try {
      const out = join(cluster.dir, 'ui-out');
      // about 14 maps that each stall 300 ms on 2 slots: the page sees several steps
      const id = await cluster.submit([SLOW, '--input', GUTENBERG, '--output', out, '--split-size', '256k', '--param', 'slowMs=300', '--no-speculation', '--reducers', '2']);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${http}/jobs/${id}`);
      const seen: number[] = [];
      let total = 0;
      let final = '';
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        // what the live part shows now (the page swaps it in from ?partial=1 every second)
        const bar = page.locator('#map-progress progress');
        const now = { done: Number(await bar.getAttribute('value')), total: Number(await bar.getAttribute('max')), state: (await page.locator('#job-state .state').textContent()) ?? '' };
        if (seen.at(-1) !== now.done) seen.push(now.done);
        total = now.total;
        if (['SUCCEEDED', 'FAILED', 'KILLED'].includes(now.state)) {
          final = now.state;
          break;
        }
        await page.waitForTimeout(150);
      }
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'ui-job-page.png'), fullPage: true });
      expect(final).toBe('SUCCEEDED');
      expect(total).toBeGreaterThanOrEqual(8);
      // progress the page showed: rising, from below the total to the total, in more than one step
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBe(total);
      expect(seen.filter((v) => v < total).length).toBeGreaterThanOrEqual(2);
      expect(await page.locator('tr[data-task]').count()).toBeGreaterThanOrEqual(total + 2);

      await page.goto(`${http}/`);
      await expect.poll(() => page.locator(`tr[data-job="${id}"] .state`).textContent()).toBe('SUCCEEDED');
      expect(await page.locator('tr[data-node="core-1"]').textContent()).toContain('ALIVE');
      await page.screenshot({ path: join(ARTIFACTS, 'ui-overview.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 600_000);
});

describe('--ui-auth token: reads need the cluster token too', () => {
  const dir = tempDir('mr-ui-auth-');
  const env = { MR_CLUSTER_TOKEN: `ui-${process.pid}` };
  let http = '';
  beforeAll(async () => {
    startMr(['master', '--port', '0', '--http-port', '0', '--data', join(dir, 'master'), '--ui-auth', 'token'], { env, log: join(dir, 'master.log') });
    http = `http://${(await waitFor('master.json', 20_000, () => readJsonFile<{ httpAddress: string }>(join(dir, 'master', 'master.json'))))!.httpAddress}`;
  });
  afterAll(reapAll);

  it('401 with a Basic challenge without it; Basic password, Bearer or x-mr-token with it', async () => {
    for (const path of ['/', '/api/jobs', '/metrics', '/blockstore']) {
      const r = await fetch(http + path);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await fetch(http + path, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    }
    const basic = `Basic ${Buffer.from(`admin:${env.MR_CLUSTER_TOKEN}`).toString('base64')}`;
    expect((await fetch(`${http}/`, { headers: { authorization: basic } })).status).toBe(200);
    expect((await fetch(`${http}/metrics`, { headers: { authorization: `Bearer ${env.MR_CLUSTER_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${http}/api/nodes`, { headers: { 'x-mr-token': env.MR_CLUSTER_TOKEN } })).status).toBe(200);
    // the page's own script and style load without credentials (they hold no cluster data)
    expect((await fetch(`${http}/ui.js`)).status).toBe(200);
  });
});
