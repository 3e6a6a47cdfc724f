/**
 * Issue 14: what job code prints never reaches the command's stdout. It is kept per attempt (`mr
 * logs`, the run's failed-attempts file), shown on stderr with `mr run --verbose`, and written to
 * a standing worker's stderr; in both `mr run` modes (workers in the process, or --isolate).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { exited, GUTENBERG, mr, MR_BIN, reapAll, ROOT, tempDir, track } from './helpers/procs.js';

afterAll(reapAll);

const CHATTY = join(ROOT, 'test/fixtures/chatty.mjs');
const NOISY = join(ROOT, 'packages/jobs/dist/testing/noisy.js');
const BOOK = join(GUTENBERG, 'pg-metamorphosis.txt');
const FIRST_LINE = 'chatty says: m-00000 read "The Project Gutenberg EBook of Metamorphosis, by Franz Kafka"';

function statusDocument(stdout: string): { state: string; name: string } {
  expect(stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(stdout) as { state: string; name: string };
}

describe.each([['in-process', []], ['--isolate', ['--isolate']]] as const)('mr run (%s) with a job that prints', (_mode, mode) => {
  it('--json: stdout is the status document alone, and stderr stays empty', async () => {
    const r = await mr(['run', CHATTY, '--input', BOOK, '--output', join(tempDir(), 'out'), '--json', ...mode]);
    expect(r.code, r.stderr).toBe(0);
    expect(statusDocument(r.stdout)).toMatchObject({ name: 'chatty', state: 'SUCCEEDED' });
    expect(r.stderr).not.toMatch(/chatty (says|writes|complains)/);
  });

  it('--verbose: the job\'s stdout and stderr lines on stderr, none on stdout', async () => {
    const r = await mr(['run', CHATTY, '--input', BOOK, '--output', join(tempDir(), 'out'), '--verbose', ...mode]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/chatty (says|writes|complains)|module loaded/);
    expect(r.stdout).toMatch(/^job job-\S+ \(chatty\) SUCCEEDED/);
    expect(r.stderr).toContain(`${FIRST_LINE}\n`);
    expect(r.stderr).toContain('chatty writes: 60 chars\n');
    expect(r.stderr).toContain('chatty complains: m-00000\n');
  });

  it('a failed attempt\'s output is kept (failed-attempts file, as mr logs shows it), not printed: --json stays one document', async () => {
    const tmp = tempDir(); // the failed run's dir is kept: here, removed with the test
    const input = join(tempDir(), 'in.txt');
    writeFileSync(input, 'a line\nthis line is NOISY\n');
    const r = await mr(['run', NOISY, '--input', input, '--output', join(tempDir(), 'out'), '--max-attempts', '1', '--json', ...mode], { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(1);
    expect(statusDocument(r.stdout)).toMatchObject({ name: 'noisy', state: 'FAILED' });
    const file = /failed attempts: (\S+);/.exec(r.stderr)?.[1];
    expect(file, r.stderr).toBeDefined();
    const kept = readFileSync(file!, 'utf8');
    expect(kept).toContain('noisy stdout: m-00000 attempt 0');
    expect(kept).toContain('noisy stderr: m-00000 attempt 0');
    expect(readdirSync(tmp)).toHaveLength(1);
  });

  it('`--json | head -c 300`: the reader takes the start of the document and goes; mr still ends, exit 0', async () => {
    const proc = spawn(process.execPath, [MR_BIN, 'run', CHATTY, '--input', BOOK, '--output', join(tempDir(), 'out'), '--json', ...mode], { stdio: ['ignore', 'pipe', 'ignore'] });
    track(proc);
    let head = '';
    proc.stdout.on('data', (d: Buffer) => {
      head = (head + d.toString()).slice(0, 300);
      if (head.length === 300) proc.stdout.destroy(); // as head -c 300 exits
    });
    expect(await exited(proc, 60_000)).toBe(0);
    expect(head).toMatch(/^\{"id":"job-/);
  });
});

describe('a standing worker', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    await c.waitAlive(['core-1']);
  });

  it('writes what job code prints (stdout and stderr) to its own stderr', async () => {
    const r = await c.mr(['submit', CHATTY, '--input', BOOK, '--output', join(c.dir, 'out'), '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(statusDocument(r.stdout).state).toBe('SUCCEEDED');
    const log = readFileSync(join(c.dir, 'core-1.log'), 'utf8');
    expect(log).toContain(`${FIRST_LINE}\n`);
    expect(log).toContain('chatty complains: m-00000\n');
  });
});
