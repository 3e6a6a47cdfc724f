import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { exited, freePort, readJsonFile, reapAll, ROOT, waitFor, type Result } from './helpers/procs.js';

afterAll(reapAll);

const NOISY = join(ROOT, 'packages/jobs/dist/testing/noisy.js');

interface LogsJson {
  jobId: string;
  state: string;
  error?: string;
  attempts: { attemptId: string; taskId: string; kind: string; number: number; nodeId: string; state: string; startedMs: number; finishedMs: number; error: string; stack?: string; stderr?: string }[];
}

function expectOneLineError(r: Result, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('mr logs (issue 8): what failed attempts threw and wrote', () => {
  const c = new TestCluster();
  let port = 0;
  let input = '';
  let failedJob = '';
  beforeAll(async () => {
    port = await freePort();
    await c.startMaster(port);
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('task-1', { role: 'task' });
    await c.waitAlive(['core-1', 'task-1']);
    // a.txt (task m-00000) holds the line the job refuses; b.txt (m-00001) does not
    input = join(c.dir, 'in');
    mkdirSync(input);
    writeFileSync(join(input, 'a.txt'), 'first line\nthis line is NOISY\nlast line\n');
    writeFileSync(join(input, 'b.txt'), 'clean words only\n');
  });

  it('--json: each failed attempt with its error, the user\'s stack frame (their source line) and what it wrote', async () => {
    failedJob = await c.submit([NOISY, '--input', input, '--output', join(c.dir, 'out-1'), '--max-attempts', '2']);
    const s = await c.waitJob(failedJob);
    expect(s.state).toBe('FAILED');
    const r = await c.mr(['logs', failedJob, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const logs = JSON.parse(r.stdout) as LogsJson;
    expect(logs).toMatchObject({ jobId: failedJob, state: 'FAILED', error: expect.stringContaining('task m-00000 failed 2 times') });
    const failed = logs.attempts.filter((a) => a.state === 'FAILED');
    expect(failed.map((a) => [a.taskId, a.number])).toEqual([['m-00000', 0], ['m-00000', 1]]);
    for (const a of failed) {
      expect(a.kind).toBe('map');
      expect(['core-1', 'task-1']).toContain(a.nodeId);
      expect(a.finishedMs).toBeGreaterThanOrEqual(a.startedMs);
      expect(a.error).toMatch(/map threw on .*a\.txt at byte 11: noisy job refuses line: this line is NOISY/);
      // the frame that threw, mapped from the shipped bundle back to the job's own source
      expect(a.stack).toMatch(/^Error: noisy job refuses line: this line is NOISY\n\s+at explodeOn \(.*packages\/jobs\/src\/testing\/noisy\.ts:\d+:\d+\)/);
      expect(a.stack).not.toMatch(/packages\/worker\//); // the engine's frames are left out
      expect(a.stderr).toContain(`noisy stderr: m-00000 attempt ${a.number}\n`);
      expect(a.stderr).toContain(`noisy stdout: m-00000 attempt ${a.number}\n`);
    }
  });

  it('human output: a header per failed attempt, then its error, stack and output, indented', async () => {
    const r = await c.mr(['logs', failedJob]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^job ${failedJob} FAILED: task m-00000 failed 2 times`));
    for (const n of [0, 1]) {
      expect(r.stdout).toMatch(new RegExp(`\\n${failedJob}\\.m-00000\\.${n}  task m-00000  node (core|task)-1  FAILED  \\d+\\.\\ds\\n  error: map threw on .*noisy job refuses line`));
      expect(r.stdout).toContain(`\n    noisy stderr: m-00000 attempt ${n}\n`);
    }
    expect(r.stdout).toMatch(/\n {8}at explodeOn \(.*noisy\.ts:\d+:\d+\)\n/);
  });

  it('the web UI shows the same: the job page links to a logs page; /api/jobs/ID/logs is the --json document', async () => {
    const http = `http://${readJsonFile<{ httpAddress: string }>(join(c.dir, 'master', 'master.json'))!.httpAddress}`;
    const jobPage = await (await fetch(`${http}/jobs/${failedJob}`)).text();
    expect(jobPage).toContain(`href="/jobs/${failedJob}/logs"`);
    const page = await (await fetch(`${http}/jobs/${failedJob}/logs`)).text();
    expect(page).toMatch(/at explodeOn \(.*noisy\.ts:\d+:\d+\)/);
    expect(page).toContain('noisy stderr: m-00000 attempt 1');
    const api = (await (await fetch(`${http}/api/jobs/${failedJob}/logs`)).json()) as LogsJson;
    const cli = JSON.parse((await c.mr(['logs', failedJob, '--json'])).stdout) as LogsJson;
    expect(api).toEqual(cli);
    expect((await fetch(`${http}/api/jobs/${failedJob}/logs?task=m-99999`)).status).toBe(404);
  });

  it('--task shows one task\'s attempts; unknown jobs and tasks are one-line errors, exit 1', async () => {
    const one = await c.mr(['logs', failedJob, '--task', 'm-00000', '--json']);
    expect(one.code, one.stderr).toBe(0);
    const logs = JSON.parse(one.stdout) as LogsJson;
    expect(logs.attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(logs.attempts.map((a) => a.taskId))).toEqual(new Set(['m-00000']));

    const none = await c.mr(['logs', failedJob, '--task', 'r-00000']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('no failed attempts of task r-00000');
    const noneJson = await c.mr(['logs', failedJob, '--task', 'r-00000', '--json']);
    expect((JSON.parse(noneJson.stdout) as LogsJson).attempts).toEqual([]);

    expectOneLineError(await c.mr(['logs', failedJob, '--task', 'm-00042']), new RegExp(`^mr: job ${failedJob} has no task m-00042 \\(its tasks are m-00000\\.\\.m-00001 and r-00000\\)$`));
    expectOneLineError(await c.mr(['logs', 'job-nope']), /^mr: no job job-nope$/);
  });

  it('a task timeout: what the stalled attempt wrote before it was killed is kept', async () => {
    const id = await c.submit([NOISY, '--input', input, '--output', join(c.dir, 'out-2'), '--max-attempts', '1', '--task-timeout', '2s', '--param', 'hangMs=60000']);
    expect((await c.waitJob(id)).state).toBe('FAILED');
    // the worker sends the output once the attempt has stopped: shortly after the job ended
    const attempt = await waitFor('the timed-out attempt\'s output', 20_000, async () => {
      const r = await c.mr(['logs', id, '--task', 'm-00000', '--json']);
      const a = (JSON.parse(r.stdout) as LogsJson).attempts[0];
      return a?.stderr ? a : undefined;
    });
    expect(attempt).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/no progress for \d+ s \(--task-timeout 2 s\)/) });
    expect(attempt.stderr).toContain('noisy stderr: m-00000 attempt 0\n');
  });

  it('the logs survive a master restart (journal)', async () => {
    const before = await c.mr(['logs', failedJob, '--json']);
    c.masterProc!.kill('SIGKILL');
    await exited(c.masterProc!);
    await c.startMaster(port);
    const after = await c.mr(['logs', failedJob, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
  });
});
