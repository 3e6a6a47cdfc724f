/**
 * Health endpoints that Kubernetes probes and docker compose health checks use (issue 16), on real
 * processes: the master's /healthz and /readyz, and the workers' standard gRPC health service
 * (grpc.health.v1: '' = liveness, 'readiness' = registered with the master and not draining),
 * read through deploy/healthcheck.mjs, the check the image runs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { exited, GUTENBERG, readJsonFile, reapAll, ROOT, track, waitFor } from './helpers/procs.js';

const HEALTHCHECK = join(ROOT, 'deploy/healthcheck.mjs');
const SLOW_JOB = join(ROOT, 'test/fixtures/slow-wordcount.mjs');

/** Runs deploy/healthcheck.mjs on `target`: its exit code and the line it printed. */
function healthcheck(target: string): Promise<{ code: number | null; stderr: string }> {
  const proc = track(spawn(process.execPath, [HEALTHCHECK, target], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  return exited(proc, 10_000).then((code) => ({ code, stderr: stderr.trim() }));
}

/** Polls the check until it answers `code`; returns that answer. */
function healthcheckUntil(target: string, code: number, what: string) {
  return waitFor(`${target} ${what}`, 20_000, async () => {
    const r = await healthcheck(target);
    return r.code === code ? r : undefined;
  });
}

describe('health endpoints for probes (issue 16)', () => {
  const c = new TestCluster(['--heartbeat-timeout', '30s']);
  let port = 0;
  let http = '';
  const worker: Record<string, string> = {};

  beforeAll(async () => {
    await c.startMaster();
    port = Number(c.master.split(':').at(-1));
    http = readJsonFile<{ httpAddress: string }>(join(c.dir, 'master', 'master.json'))!.httpAddress;
    c.startWorker('core-1', { role: 'core', slots: 1 });
    c.startWorker('task-1', { role: 'task', slots: 1 });
    await c.waitAlive(['core-1', 'task-1']);
    for (const n of await c.nodes()) worker[n.id] = n.address;
  });
  afterAll(reapAll);

  it('the master answers /healthz and /readyz; a bad target is a usage error', async () => {
    expect(await healthcheck(`http://${http}/healthz`)).toEqual({ code: 0, stderr: '' });
    expect(await healthcheck(`http://${http}/readyz`)).toEqual({ code: 0, stderr: '' });
    const bad = await healthcheck('ftp://x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^healthcheck: 'ftp:\/\/x': use http/);
  });

  it('a worker is live and ready while registered; not ready while its master is away, ready again when it is back', async () => {
    const task = `grpc://${worker['task-1']}`;
    expect(await healthcheck(task)).toEqual({ code: 0, stderr: '' });
    expect(await healthcheck(`${task}/readiness`)).toEqual({ code: 0, stderr: '' });

    c.masterProc!.kill('SIGKILL');
    await exited(c.masterProc!);
    const away = await healthcheckUntil(`${task}/readiness`, 1, 'not ready');
    expect(away.stderr).toBe(`healthcheck: ${worker['task-1']} service 'readiness': NOT_SERVING`);
    // alive all along: a lost master is no reason to restart a worker
    expect((await healthcheck(task)).code).toBe(0);
    expect((await healthcheck(`http://${http}/healthz`)).stderr).toMatch(/^healthcheck: http:\/\/.*\/healthz: ECONNREFUSED$/);

    await c.startMaster(port);
    await healthcheckUntil(`${task}/readiness`, 0, 'ready again');
  });

  it('a draining worker (SIGTERM) is not ready but still live while it finishes its attempt', async () => {
    await c.waitAlive(['core-1', 'task-1']);
    const jobId = await c.submit([SLOW_JOB, '--input', join(GUTENBERG, 'pg-metamorphosis.txt'), '--output', join(c.dir, 'out'), '--param', 'sleepMs=120000', '--no-speculation']);
    const node = await waitFor('an attempt running', 20_000, async () => (await c.nodes()).find((n) => n.runningTasks > 0));
    const target = `grpc://${node.address}`;
    expect((await healthcheck(`${target}/readiness`)).code).toBe(0);

    c.workers.get(node.id)!.kill('SIGTERM');
    const draining = await healthcheckUntil(`${target}/readiness`, 1, 'not ready');
    expect(draining.stderr).toMatch(/'readiness': NOT_SERVING$/);
    expect(await healthcheck(target)).toEqual({ code: 0, stderr: '' });
    expect((await c.nodes()).find((n) => n.id === node.id)?.state).toBe('DECOMMISSIONING');
    await c.mr(['job', 'kill', jobId]);
  });
});
