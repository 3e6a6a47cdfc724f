import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOracle, runOracleAsync } from '../oracle.js';
import { readOutput } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, ROOT, tempDir } from './helpers/procs.js';
import wordlen from '../fixtures/wordlen.mjs';
import initials from '../fixtures/initials.js';
import firstbytes from '../fixtures/firstbytes.js';
import asyncWords from '../fixtures/async-words.mjs';

afterAll(reapAll);

const FIX = join(ROOT, 'test/fixtures');
const BOOKS = [join(GUTENBERG, 'pg-metamorphosis.txt'), join(GUTENBERG, 'pg-being_ernest.txt')];

describe('job modules given by path (contract.md "Job modules")', () => {
  it('a .mjs module by relative path: same bytes as the oracle, its counter in the status', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', relative(ROOT, join(FIX, 'wordlen.mjs')), '--input', BOOKS.join(','), '--output', out, '--reducers', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { name: string; counters: Record<string, number> };
    expect(s.name).toBe('wordlen');
    expect(readOutput(out)).toEqual(runOracle(wordlen, BOOKS, 2));
    expect(s.counters.lines).toBe(s.counters.inputRecords);
  });

  it('a .ts module with imports, defineJob, params and JSON values, by absolute path', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', join(FIX, 'initials.ts'), '--input', BOOKS[0]!, '--output', out, '--param', 'minLength=4', '--reducers', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(readOutput(out)).toEqual(runOracle(initials, [BOOKS[0]!], 3, { minLength: '4' }));
    expect(readFileSync(join(out, 'part-00000'), 'utf8')).toMatch(/^\S+\t\{"words":\d+,"sample":\[/m);
  });

  it("a .ts module with input 'bytes' and mapSetup: the same output as the oracle's, split or not", async () => {
    for (const extra of [[], ['--split-size', '16k']]) {
      const out = join(tempDir(), 'o');
      const r = await mr(['run', join(FIX, 'firstbytes.ts'), '--input', BOOKS.join(','), '--output', out, '--reducers', '2', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(readOutput(out)).toEqual(runOracle(firstbytes, BOOKS, 2));
    }
  });

  it('module problems are refused at submit with one line: missing file, no reduce, bad params', async () => {
    const o = join(tempDir(), 'o');
    const missing = await mr(['run', './nope/job.mjs', '--input', BOOKS[0]!, '--output', o]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mr: job module not found: .*nope\/job\.mjs\n$/);
    const dir = await mr(['run', FIX, '--input', BOOKS[0]!, '--output', o]);
    expect(dir.code).toBe(1);
    expect(dir.stderr).toBe(`mr: job module ${FIX} is not a file\n`);
    const ext = await mr(['run', BOOKS[0]!, '--input', BOOKS[0]!, '--output', o]);
    expect(ext.code).toBe(1);
    expect(ext.stderr).toBe(`mr: job module ${BOOKS[0]!}: unsupported extension '.txt' (use .js, .mjs, .cjs, .ts, .mts or .cts)\n`);
    const broken = await mr(['run', join(FIX, 'no-reduce.mjs'), '--input', BOOKS[0]!, '--output', o]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^mr: .*no-reduce\.mjs: job 'broken' has no reduce function/);
    const params = await mr(['run', join(FIX, 'initials.ts'), '--input', BOOKS[0]!, '--output', o, '--param', 'minLength=x']);
    expect(params.code).toBe(2);
    expect(params.stderr).toMatch(/^mr: initials: bad params: minLength must be a whole number, got 'x'\n$/);
  });

  it('user code that throws fails the job after 4 attempts, naming the input and byte offset; no output left', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', join(FIX, 'throws.mjs'), '--input', BOOKS[0]!, '--output', out, '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as { state: string; error: string; counters: Record<string, number> };
    expect(s.state).toBe('FAILED');
    expect(s.error).toMatch(/^task m-00000 failed 4 times; last error: map threw on .*pg-metamorphosis\.txt at byte \d+: cannot handle Gregor$/);
    expect(s.counters.mapAttempts).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // the cluster is gone, so what `mr logs` would show is kept beside its logs, and the error says where
    const saved = /\(failed attempts: (\S+failed-attempts\.log); cluster logs: \S+\)$/.exec(r.stderr.trim());
    expect(saved, r.stderr).not.toBeNull();
    const attempts = readFileSync(saved![1]!, 'utf8');
    expect(attempts.match(/^  error: .*cannot handle Gregor$/gm)).toHaveLength(4);
    expect(attempts).toMatch(/throws\.mjs:\d+/);
    expect(() => readOutput(out)).toThrow(); // nothing was created at the output
  });

  it('async map, reduce, mapSetup, mapCleanup and reduceCleanup (each awaits before it emits): the oracle\'s output', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', join(FIX, 'async-words.mjs'), '--input', BOOKS.join(','), '--output', out, '--reducers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(readOutput(out)).toEqual(await runOracleAsync(asyncWords, BOOKS, 2));
  });

  it('a map whose promise never settles fails by the task timeout, naming map', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', join(FIX, 'never-settles.mjs'), '--input', BOOKS[0]!, '--output', out, '--task-timeout', '2s', '--max-attempts', '1', '--no-speculation'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^mr: job \S+ FAILED: task m-00000 failed 1 times; last error: map returned a promise that did not settle within 2s \(--task-timeout\) \(failed attempts/);
    expect(() => readOutput(out)).toThrow();
  });

  it('an async map that rejects fails the attempt with the user\'s error, record and stack', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', join(FIX, 'rejects.mjs'), '--input', BOOKS[0]!, '--output', out, '--max-attempts', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/last error: map threw on .*pg-metamorphosis\.txt at byte \d+: cannot handle Gregor later \(failed attempts/);
    const saved = /\(failed attempts: (\S+failed-attempts\.log); cluster logs: \S+\)$/.exec(r.stderr.trim());
    expect(saved, r.stderr).not.toBeNull();
    // the line of the fixture that threw, mapped back from the bundle
    expect(readFileSync(saved![1]!, 'utf8')).toMatch(/rejects\.mjs:8/);
  });

  it('--task-memory: a map that allocates without bound fails its attempt at the limit; a limit too small is refused', async () => {
    const out = join(tempDir(), 'o');
    const r = await mr(['run', join(FIX, 'hog.mjs'), '--input', BOOKS[0]!, '--output', out, '--task-memory', '64m', '--max-attempts', '2', '--no-speculation'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^mr: job \S+ FAILED: task m-00000 failed 2 times; last error: attempt exceeded --task-memory 64m \(failed attempts/);
    const small = await mr(['run', join(FIX, 'hog.mjs'), '--input', BOOKS[0]!, '--output', out, '--task-memory', '1m']);
    expect(small.code).toBe(2);
    expect(small.stderr).toBe("mr: --task-memory: '1m' is too small (at least 32m)\n");
  });
});
