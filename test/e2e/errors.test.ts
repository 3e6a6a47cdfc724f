import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { exited, freePort, GUTENBERG, mr, MR_BIN, reapAll, ROOT, startMr, tempDir, track, waitFor } from './helpers/procs.js';

afterAll(reapAll);

const BOOK = join(GUTENBERG, 'pg-metamorphosis.txt');
const FIXTURES = join(ROOT, 'test/fixtures');

/** contract.md: every error is one line on stderr naming what was wrong, never a stack trace. */
function expectOneLineError(r: { code: number | null; stderr: string; stdout: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mr: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
}

describe('bad input: one-line error, the contract exit code, nothing written (issue 2 acceptance)', () => {
  it('a plan of more map tasks than a job may have (--split-size 1): exit 2 at once, names the flag', async () => {
    const out = join(tempDir(), 'out');
    const r = await mr(['run', 'wordcount', '--input', BOOK, '--output', out, '--split-size', '1'], { timeoutMs: 30_000 });
    expectOneLineError(r, 2, /the inputs would be cut into 139054 map tasks, more than 100000: use a larger --split-size/);
    expect(() => statSync(out)).toThrow();
  });

  it.each(['wordcount', 'indexer'])('a param %s does not take: exit 2, names it', async (job) => {
    const r = await mr(['run', job, '--input', BOOK, '--output', join(tempDir(), 'out'), '--param', 'foo=bar']);
    expectOneLineError(r, 2, new RegExp(`${job}: unknown param 'foo' \\(${job} takes no params\\)`));
  });

  it('a missing input path: exit 1, names the path', async () => {
    const out = join(tempDir(), 'out');
    const r = await mr(['run', 'wordcount', '--input', '/no/such/input', '--output', out]);
    expectOneLineError(r, 1, /input not found: \/no\/such\/input/);
    expect(() => statSync(out)).toThrow();
  });

  it('an unknown job: exit 2, names it and the built-ins', async () => {
    const r = await mr(['run', 'wordcont', '--input', BOOK, '--output', join(tempDir(), 'o')]);
    expectOneLineError(r, 2, /unknown job 'wordcont'.*wordcount/);
  });

  it.each([['0'], ['abc'], ['-1'], ['2.5']])('--reducers %s: exit 2, names the flag', async (v) => {
    const r = await mr(['run', 'wordcount', '--input', BOOK, '--output', join(tempDir(), 'o'), '--reducers', v]);
    expectOneLineError(r, 2, /--reducers/);
  });

  it('an unknown flag and a missing required flag: exit 2', async () => {
    expectOneLineError(await mr(['run', 'wordcount', '--input', BOOK, '--output', 'x', '--bogus']), 2, /unknown option '--bogus'/);
    expectOneLineError(await mr(['run', 'wordcount', '--input', BOOK]), 2, /--output/);
    expectOneLineError(await mr(['worker', '--master', '127.0.0.1:1', '--role', 'boss']), 2, /--role.*core, task/);
  });

  it('grep without its pattern param: exit 2 before anything runs', async () => {
    expectOneLineError(await mr(['run', 'grep', '--input', BOOK, '--output', join(tempDir(), 'o')]), 2, /grep needs --param pattern=REGEX/);
    expectOneLineError(await mr(['run', 'grep', '--input', BOOK, '--output', join(tempDir(), 'o'), '--param', 'pattern=(']), 2, /not a valid regular expression/);
    expectOneLineError(await mr(['run', 'grep', '--input', BOOK, '--output', join(tempDir(), 'o'), '--param', 'oops']), 2, /--param 'oops': expected key=value/);
  });

  for (const existing of ['part-00000', '_SUCCESS']) {
    it(`an output that already holds ${existing} is refused (exit 1) and left untouched; --overwrite replaces it`, async () => {
      const out = join(tempDir(), 'out');
      mkdirSync(out);
      writeFileSync(join(out, existing), 'precious\n');
      const r = await mr(['run', 'wordcount', '--input', BOOK, '--output', out]);
      expectOneLineError(r, 1, new RegExp(`output ${out} already holds ${existing} \\(use --overwrite`));
      expect(readdirSync(out)).toEqual([existing]);
      expect(readFileSync(join(out, existing), 'utf8')).toBe('precious\n');

      const ok = await mr(['run', 'wordcount', '--input', BOOK, '--output', out, '--overwrite', '--reducers', '2']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-00000', 'part-00001']);
      expect(readFileSync(join(out, 'part-00000'), 'utf8')).not.toContain('precious');
    });
  }

  it('an input directory with no visible files: exit 1, says so', async () => {
    const empty = tempDir();
    writeFileSync(join(empty, '_hidden'), 'x\n');
    writeFileSync(join(empty, '.dot'), 'x\n');
    expectOneLineError(await mr(['run', 'wordcount', '--input', empty, '--output', join(tempDir(), 'o')]), 1, /no input files under/);
  });

  it('an unreachable master: exit 1, names the address and the cause in plain words, no grpc-js internals', async () => {
    const port = await freePort();
    const refused = await mr(['nodes', '--master', `127.0.0.1:${port}`, '--json'], { env: { MR_CLUSTER_TOKEN: 't' } });
    expectOneLineError(refused, 1, /^mr: cannot reach the master at /);
    expect(refused.stderr).toBe(`mr: cannot reach the master at 127.0.0.1:${port} (connection refused)\n`);
    // .invalid never resolves (RFC 6761)
    const unknown = await mr(['status', '--master', 'no-such-host.invalid:7070'], { env: { MR_CLUSTER_TOKEN: 't' } });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('mr: cannot reach the master at no-such-host.invalid:7070 (host not found)\n');
    // --debug keeps what was put in plain words, for a bug report
    const debug = await mr(['nodes', '--master', `127.0.0.1:${port}`, '--debug'], { env: { MR_CLUSTER_TOKEN: 't' } });
    expect(debug.stderr).toMatch(/\ncause: No connection established\. Last error: Error: connect ECONNREFUSED/);
    // the block store's client says it the same way
    const bs = await mr(['fs', 'ls', 'bs://x', '--master', `127.0.0.1:${port}`], { env: { MR_CLUSTER_TOKEN: 't' } });
    expect(bs.code).toBe(1);
    expect(bs.stderr).toBe(`mr: cannot reach the master at 127.0.0.1:${port} (connection refused)\n`);
  });

  it('a worker whose master is not there logs why in plain words while it retries', async () => {
    const log = join(tempDir(), 'worker.log');
    const worker = startMr(['worker', '--master', `127.0.0.1:${await freePort()}`, '--role', 'task'], { env: { MR_CLUSTER_TOKEN: 't' }, log });
    const line = await waitFor('the worker to log its lost master', 20_000, () =>
      readFileSync(log, 'utf8').split('\n').find((l) => l.includes('lost the master; reconnecting')));
    worker.kill('SIGKILL');
    expect((JSON.parse(line) as { err: string }).err).toBe('connection refused');
  });

  it('mr run --core 0: refused, since shuffle data needs a core worker', async () => {
    const r = await mr(['run', 'wordcount', '--input', BOOK, '--output', join(tempDir(), 'o'), '--core', '0']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^mr: no core worker is alive/);
  });
});

describe('a reader that goes away (`mr ... | head`)', () => {
  /** mr with its stdout closed by the reader before it writes; its own TMPDIR, to see what it leaves. */
  async function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string; tmp: string }> {
    const tmp = tempDir();
    const proc = spawn(process.execPath, [MR_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    track(proc);
    proc.stdout.destroy();
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    const code = await exited(proc, 60_000);
    return { code, stderr, tmp };
  }

  it('a job that succeeds: exit 0, no stack trace, its cluster stopped and its run dir removed', async () => {
    const r = await withClosedStdout(['run', 'wordcount', '--input', BOOK, '--output', join(tempDir(), 'out'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(r.tmp)).toEqual([]);
  });

  it('a job that fails (--json: its status written first) still exits 1, with its one-line error', async () => {
    const r = await withClosedStdout(['run', join(FIXTURES, 'throws.mjs'), '--input', BOOK, '--output', join(tempDir(), 'out'), '--max-attempts', '1', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^mr: .*cannot handle Gregor/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('mr fs cat of a large file stops at once: exit 0, nothing on stderr', async () => {
    const file = join(tempDir(), 'big.txt');
    writeFileSync(file, 'x'.repeat(1 << 20).concat('\n').repeat(64)); // 64 MiB: far more than a pipe holds
    const r = await withClosedStdout(['fs', 'cat', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('a port already taken: one line naming the port and its flag, exit 1, no hang, nothing raw from grpc-js', () => {
  let taken: Server;
  let port = 0;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const env = { MR_CLUSTER_TOKEN: 't' };

  it('mr master --port and --http-port', async () => {
    const grpcPort = await mr(['master', '--port', String(port), '--http-port', '0', '--data', join(tempDir(), 'm')], { env, timeoutMs: 30_000 });
    expect([grpcPort.code, grpcPort.stderr]).toEqual([1, `mr: port ${port} is in use (--port)\n`]);
    // the gRPC server listened before the web server failed: it must not keep the process alive
    const httpPort = await mr(['master', '--port', '0', '--http-port', String(port), '--data', join(tempDir(), 'm')], { env, timeoutMs: 30_000 });
    expect([httpPort.code, httpPort.stderr]).toEqual([1, `mr: port ${port} is in use (--http-port)\n`]);
  });

  it('mr worker --port', async () => {
    const r = await mr(['worker', '--master', '127.0.0.1:1', '--role', 'task', '--port', String(port)], { env, timeoutMs: 30_000 });
    expect([r.code, r.stderr]).toEqual([1, `mr: port ${port} is in use (--port)\n`]);
  });
});
