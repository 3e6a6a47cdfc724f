import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MrError } from '@mr/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDetailView, JobView, NodeDetailView } from '../views.js';
import { createUiHandler, type UiAuth, type UiSource } from './app.js';

const TOKEN = 'sekrit-token';
const hostile = '<img src=x onerror=alert(1)>';

function job(state: JobView['state']): JobDetailView {
  return {
    id: 'job-1', name: hostile, state, counters: { inputRecords: 3 }, startedAt: '2026-01-01T00:00:00.000Z', elapsedMs: 1500,
    ...(state === 'FAILED' ? { error: `boom ${hostile}` } : {}),
    progress: { mapsDone: 1, mapsTotal: 2, reducesDone: 0, reducesTotal: 1 },
    inputs: ['/in'], output: '/out', reducers: 1,
    tasks: [
      { id: 'm-00000', kind: 'map', index: 0, state: 'SUCCEEDED', split: '/in@0+10', attempts: [{ id: 'job-1.m-00000.0', number: 0, nodeId: 'n1', state: 'SUCCEEDED', speculative: false, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5 }] },
      // an ended job's tasks are settled (machine/jobs.ts settleTasks)
      state === 'FAILED'
        ? { id: 'm-00001', kind: 'map', index: 1, state: 'FAILED', error: `task m-00001 failed 1 times; last error: ${hostile}`, attempts: [{ id: 'job-1.m-00001.0', number: 0, nodeId: 'n1', state: 'FAILED', speculative: false, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5, error: hostile }] }
        : { id: 'm-00001', kind: 'map', index: 1, state: 'RUNNING', attempts: [{ id: 'job-1.m-00001.0', number: 0, nodeId: 'n1', state: 'FAILED', speculative: false, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5, error: hostile }] },
      state === 'FAILED'
        ? { id: 'r-00000', kind: 'reduce', index: 0, state: 'KILLED', error: 'job failed before the task finished', attempts: [] }
        : { id: 'r-00000', kind: 'reduce', index: 0, state: 'PENDING', attempts: [] },
    ],
  };
}

function source(calls: string[], state: JobView['state'] = 'RUNNING'): UiSource {
  const node: NodeDetailView = { id: 'n1', role: 'core', address: '127.0.0.1:1', state: 'ALIVE', slots: 2, runningTasks: 1, lastHeartbeatMs: 0, runningAttempts: ['job-1.m-00001.1'], storedBytes: 2048, storedBlocks: 1 };
  const drained: NodeDetailView = { id: 'n2', role: 'task', address: '127.0.0.1:2', state: 'DECOMMISSIONED', slots: 2, runningTasks: 0, lastHeartbeatMs: 0, runningAttempts: [] };
  return {
    jobs: () => [job(state)],
    job: (id) => (id === 'job-1' ? job(state) : undefined),
    nodes: () => [node, drained],
    blockStore: () => ({ files: 1, directories: 0, bytes: 30, blocks: 3, underReplicatedBlocks: 0, missingBlocks: 1, decommissioningOnlyBlocks: 2, corruptReplicas: 0 }),
    files: () => ({ files: [{ path: `bs://${hostile}`, size: 1, replication: 3, blocks: 1, minLiveReplicas: 1, target: 1 }], total: 1 }),
    logs: (id, taskId) => {
      if (id !== 'job-1') return undefined;
      if (taskId === 'm-00009') throw new MrError('MR_ERR_TASK_NOT_FOUND', 'job job-1 has no task m-00009');
      return { jobId: 'job-1', state: 'FAILED', attempts: [{ attemptId: 'job-1.m-00001.0', taskId: 'm-00001', kind: 'map', number: 0, nodeId: 'n1', state: 'FAILED', startedMs: 0, finishedMs: 5, error: 'boom', stack: `Error: boom\n    at map (job.ts:3:9)`, stderr: `wrote ${hostile}\n` }] };
    },
    metrics: async () => ({ contentType: 'text/plain', body: 'mr_up 1\n' }),
    killJob: async (id) => {
      calls.push(`kill ${id}`);
      if (id !== 'job-1') throw new MrError('MR_ERR_JOB_NOT_FOUND', `no job ${id}`);
      return { ...job('KILLED') };
    },
    drainNode: async (id) => {
      calls.push(`drain ${id}`);
      return node;
    },
  };
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(src: UiSource, auth: UiAuth = 'open', loopbackOnly = false): Promise<string> {
  server = createServer(createUiHandler(src, { token: TOKEN, auth, loopbackOnly }));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('web UI handler', () => {
  it('escapes what jobs carry (names, errors) on every page', async () => {
    const base = await serve(source([], 'FAILED'));
    for (const path of ['/', '/jobs/job-1', '/jobs/job-1?partial=1', '/blockstore']) {
      const html = await (await fetch(base + path)).text();
      expect(html, path).not.toContain(hostile);
      expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    }
  });

  it('a page is the layout around its live part; ?partial=1 is the live part alone, final once the job ended', async () => {
    const running = await serve(source([]));
    const full = await (await fetch(`${running}/jobs/job-1`)).text();
    const part = await (await fetch(`${running}/jobs/job-1?partial=1`)).text();
    expect(full).toContain('<script src="/ui.js"');
    expect(full).toContain(part);
    expect(part).not.toContain('<script');
    expect(part).not.toContain('data-final');
    expect(part).toContain('<progress max="2" value="1">');
    expect(part).toMatch(/Map tasks \(2\)[\s\S]*Reduce tasks \(1\)/);
    // counts agree with their nouns (shared/text.ts), as everywhere else
    expect(part).toContain('/out (1 reducer)');
    expect(await (await fetch(`${running}/?partial=1`)).text()).toContain('2.0 KiB (1 block)');
    server!.close();
    const ended = await serve(source([], 'SUCCEEDED'));
    expect(await (await fetch(`${ended}/jobs/job-1?partial=1`)).text()).toContain('data-final="1"');
    expect((await fetch(`${ended}/jobs/job-2`)).status).toBe(404);
  });

  it("an ended job's page shows each unfinished task as FAILED or KILLED, with why", async () => {
    const base = await serve(source([], 'FAILED'));
    const page = await (await fetch(`${base}/jobs/job-1?partial=1`)).text();
    const row = (task: string) => page.split('\n').find((l) => l.includes(`<tr data-task="${task}">`)) ?? '';
    expect(row('m-00001')).toContain('<span class="state FAILED">FAILED</span><div class="err">task m-00001 failed 1 times; last error: &#60;img');
    expect(row('r-00000')).toContain('<span class="state KILLED">KILLED</span><div class="err">job failed before the task finished</div>');
    expect(page).not.toMatch(/class="state (RUNNING|PENDING)"/);
  });

  it('a drained worker that left shows DECOMMISSIONED, not coloured as a failure, with no Drain button', async () => {
    const base = await serve(source([]));
    const page = await (await fetch(`${base}/?partial=1`)).text();
    const row = page.split('\n').find((l) => l.includes('<tr data-node="n2">')) ?? '';
    expect(row).toContain('<span class="state DECOMMISSIONED">DECOMMISSIONED</span>');
    const drainButtons = page.match(/data-action="\/api\/nodes\/[^/]+\/drain"/g) ?? [];
    expect(drainButtons).toEqual(['data-action="/api/nodes/n1/drain"']);
    const css = await (await fetch(`${base}/ui.css`)).text();
    const red = css.split('}').find((rule) => rule.includes('color:#b00'))!;
    expect(red).toContain('.DEAD');
    expect(red).not.toContain('.DECOMMISSIONED');
    expect(css).toMatch(/\.DECOMMISSIONED\{color:#666/);
  });

  it('the block store summary counts blocks only on decommissioning nodes (readable) apart from missing ones', async () => {
    const base = await serve(source([]));
    const page = await (await fetch(`${base}/blockstore?partial=1`)).text();
    expect(page).toContain('<th>only on decommissioning nodes (readable)</th><th>missing</th>');
    expect(page).toMatch(/id="decommissioning-only">2<\/td>/);
    expect(page).toMatch(/id="missing">1<\/td>/);
  });

  it('kill and drain: only with the token in a header (not Basic); answers are JSON with coded errors', async () => {
    const calls: string[] = [];
    const base = await serve(source(calls));
    const post = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { method: 'POST', headers });
    expect((await post('/api/jobs/job-1/kill')).status).toBe(401);
    expect((await post('/api/jobs/job-1/kill', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).status).toBe(401);
    expect((await post('/api/nodes/n1/drain', { 'x-mr-token': 'sekrit-tokeN' })).status).toBe(401);
    expect(calls).toEqual([]);
    const ok = await post('/api/jobs/job-1/kill', { authorization: `Bearer ${TOKEN}` });
    expect([ok.status, ((await ok.json()) as JobView).state]).toEqual([200, 'KILLED']);
    const missing = await post('/api/jobs/job-9/kill', { 'x-mr-token': TOKEN });
    expect([missing.status, await missing.json()]).toEqual([404, { error: { code: 'MR_ERR_JOB_NOT_FOUND', message: 'no job job-9' } }]);
    expect((await post('/api/nodes/n1/drain', { 'x-mr-token': TOKEN })).status).toBe(200);
    expect((await post('/api/nodes/n1/kill', { 'x-mr-token': TOKEN })).status).toBe(404);
    expect(calls).toEqual(['kill job-1', 'kill job-9', 'drain n1']);
    expect((await fetch(`${base}/api/jobs/job-1/kill`)).status).toBe(405);
    expect((await fetch(`${base}/api/jobs`, { method: 'DELETE' })).status).toBe(405);
  });

  it('the logs page escapes what user code wrote; a source that throws is a coded JSON error, not a dead master', async () => {
    const base = await serve(source([], 'FAILED'));
    const page = await (await fetch(`${base}/jobs/job-1/logs`)).text();
    expect(page).toContain('at map (job.ts:3:9)');
    expect(page).not.toContain(hostile);
    expect(page).toContain('data-final="1"');
    const bad = await fetch(`${base}/api/jobs/job-1/logs?task=m-00009`);
    expect([bad.status, await bad.json()]).toEqual([404, { error: { code: 'MR_ERR_TASK_NOT_FOUND', message: 'job job-1 has no task m-00009' } }]);
    expect((await fetch(`${base}/api/jobs/job-2/logs`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(200); // still serving
  });

  it('bound to loopback, it answers only requests naming a loopback host (DNS rebinding); bad escapes are 400', async () => {
    const base = await serve(source([]), 'open', true);
    const port = new URL(base).port;
    const get = (host: string) => new Promise<number>((resolve, reject) => {
      // fetch() will not set Host; a raw request does, as a browser on a rebound name would
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/jobs', headers: { host } }, (res) => (res.resume(), resolve(res.statusCode!)));
      req.on('error', reject).end();
    });
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
    expect(await get(`evil.example:${port}`)).toBe(421);
    expect(await get('127.0.0.1.evil.example')).toBe(421);
    const bad = await fetch(`${base}/jobs/%E0%A4%A`);
    expect(bad.status).toBe(400);
  });

  it('--ui-auth token guards reads but not the static script and style', async () => {
    const base = await serve(source([]), 'token');
    const r = await fetch(`${base}/api/jobs`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Basic');
    expect((await fetch(`${base}/api/jobs`, { headers: { authorization: `Basic ${Buffer.from(`any:${TOKEN}`).toString('base64')}` } })).status).toBe(200);
    expect((await fetch(`${base}/ui.css`)).status).toBe(200);
  });

  it('/healthz and /readyz answer probes without the token, even under --ui-auth token; /readyz is 503 while the master stops', async () => {
    let stopping = false;
    const base = await serve({ ...source([]), readiness: () => (stopping ? { ready: false, reason: 'stopping' } : { ready: true }) }, 'token');
    expect((await fetch(`${base}/api/jobs`)).status).toBe(401);
    const live = await fetch(`${base}/healthz`);
    expect([live.status, await live.text()]).toEqual([200, 'ok\n']);
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    stopping = true;
    const notReady = await fetch(`${base}/readyz`);
    expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: stopping\n']);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}/readyz`, { method: 'POST' })).status).toBe(405);
  });
});
