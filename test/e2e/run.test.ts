import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { fnv1a32 } from '../../packages/shared/src/index.js';
import { runOracle } from '../oracle.js';
import { filesUnder, partLines, readOutput, straightforwardWordCount } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, ROOT, tempDir } from './helpers/procs.js';

afterAll(reapAll);

describe('mr run: embedded cluster (issue 2 acceptance)', () => {
  const books = filesUnder(GUTENBERG);

  it('wordcount on the Gutenberg books, 3 reducers: parts + _SUCCESS, sorted, partitioned, counts exact', async () => {
    const out = join(tempDir(), 'wc');
    const r = await mr(['run', 'wordcount', '--input', GUTENBERG, '--output', out, '--reducers', '3']);
    // stderr is not a TTY here: no bars, one plain line per phase as it completes (issue 8)
    expect(r.stderr).toMatch(/^map: (\d+)\/\1 tasks in \d+\.\d s\nreduce: 3\/3 tasks in \d+\.\d s\n$/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SUCCEEDED/);
    const files = readOutput(out);
    expect([...files.keys()]).toEqual(['_SUCCESS', 'part-00000', 'part-00001', 'part-00002']);
    expect(files.get('_SUCCESS')).toBe('');

    const expected = straightforwardWordCount(books);
    const seen = new Map<string, number>();
    for (let p = 0; p < 3; p++) {
      const lines = partLines(files.get(`part-0000${p}`)!);
      const keys = lines.map(([k]) => k);
      // within a part, keys sorted by UTF-8 bytes
      expect(keys).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      for (const [k, v] of lines) {
        expect(seen.has(k), `key ${k} in two parts`).toBe(false);
        expect(fnv1a32(k) % 3, `key ${k} in the wrong part`).toBe(p);
        seen.set(k, Number(v));
      }
    }
    expect(seen.size).toBe(expected.size);
    for (const [w, n] of expected) expect(seen.get(w), w).toBe(n);
    // and byte-identical to the sequential oracle
    expect(files).toEqual(runOracle(wordcount, books, 3));
  });

  it('--skip-bad-records: the summary says how many records were skipped, in agreeing words', async () => {
    const inDir = tempDir('poison-');
    writeFileSync(join(inDir, 'in.txt'), ['alpha beta', 'POISON gamma', 'delta'].join('\n') + '\n');
    const r = await mr(['run', join(ROOT, 'packages/jobs/dist/testing/poison.js'), '--input', inDir, '--output', join(tempDir(), 'out'), '--skip-bad-records']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  skipped: 1 record on which user code threw twice (--skip-bad-records)');
    expect(lines).toContain('  reduce:  1 task, 1 attempt; wrote 3 records');
  });

  it('--json prints exactly one status document on stdout with the contract fields', async () => {
    const out = join(tempDir(), 'wc');
    const r = await mr(['run', 'wordcount', '--input', join(GUTENBERG, 'pg-metamorphosis.txt'), '--output', out, '--json', '--split-size', '32k']);
    expect(r.code).toBe(0);
    // only the document on stdout, and no progress (not even the phase lines) on stderr
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { counters: Record<string, number> };
    expect(Object.keys(s)).toEqual(['id', 'name', 'state', 'counters', 'startedAt', 'finishedAt', 'elapsedMs']);
    expect(s).toMatchObject({ name: 'wordcount', state: 'SUCCEEDED' });
    expect(s.id).toMatch(/^job-/);
    expect(s.counters).toMatchObject({ mapTasks: 5, reduceTasks: 1, mapAttempts: 5, reduceAttempts: 1, completedMapsReexecuted: 0, inputBytes: 139054, badRecords: 0 });
    expect(s.counters.inputRecords).toBeGreaterThan(2000);
    expect(s.counters.outputRecords).toBe(straightforwardWordCount([join(GUTENBERG, 'pg-metamorphosis.txt')]).size);
  });

  it('two consecutive mr runs give different job ids, even within one second: they differ past the second', async () => {
    const book = join(GUTENBERG, 'pg-metamorphosis.txt');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await mr(['run', 'wordcount', '--input', book, '--output', join(tempDir(), 'wc'), '--json']);
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
    }
    // job-SECOND-NNNN-RANDOM: each run's master numbers its first job 0001, the random part tells them apart
    for (const id of ids) expect(id).toMatch(/^job-\d{14}-0001-[0-9a-f]{6}$/);
    const pastTheSecond = ids.map((id) => id.replace(/^job-\d{14}-/, ''));
    expect(pastTheSecond[0]).not.toBe(pastTheSecond[1]);
  });

  it('the cluster runs in the mr process; --isolate starts each worker as its own process; both give the same output', async () => {
    const book = join(GUTENBERG, 'pg-metamorphosis.txt');
    const pids = async (extra: string[]) => {
      const out = join(tempDir(), 'wc');
      const r = await mr(['run', 'wordcount', '--input', book, '--output', out, '--reducers', '2', '--task', '2', '--verbose', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(readOutput(out)).toEqual(runOracle(wordcount, [book], 2));
      const started = r.stderr.split('\n').filter((l) => /"msg":"(master|worker) started"/.test(l)).map((l) => JSON.parse(l) as { name: string; pid: number });
      expect(started.map((l) => l.name).sort()).toEqual(['master', 'worker', 'worker', 'worker']);
      const master = started.find((l) => l.name === 'master')!.pid;
      return started.filter((l) => l.name === 'worker').map((l) => l.pid !== master);
    };
    expect(await pids([])).toEqual([false, false, false]);
    expect(await pids(['--isolate'])).toEqual([true, true, true]);
  });

  it('grep with a pattern param: key = matching line, value = occurrences', async () => {
    const out = join(tempDir(), 'grep');
    const r = await mr(['run', 'grep', '--input', GUTENBERG, '--output', out, '--param', 'pattern=^CHAPTER [IVX]+\\.?$', '--reducers', '2']);
    expect(r.code, r.stderr).toBe(0);
    const lines = [...readOutput(out).entries()].filter(([n]) => n.startsWith('part-')).flatMap(([, c]) => partLines(c));
    const expected = new Map<string, number>();
    for (const f of books) for (const l of readFileSync(f, 'utf8').split('\n')) {
      const line = l.replace(/\r$/, '');
      if (/^CHAPTER [IVX]+\.?$/u.test(line)) expected.set(line, (expected.get(line) ?? 0) + 1);
    }
    expect(expected.size).toBeGreaterThan(5);
    expect(new Map(lines.map(([k, v]) => [k, Number(v)]))).toEqual(expected);
  });
  it('a gathering job (flowlogs top) gives the same result on one slot as on four: task 0 never waits holding the only slot', async () => {
    const input = join(tempDir(), 'flows');
    expect((await mr(['gen', 'flowlogs', '--output', input, '--files', '3', '--lines-per-file', '4000', '--seed', '5'])).code).toBe(0);
    const top = async (cluster: string[]) => {
      const out = join(tempDir(), 'top');
      const r = await mr(['run', 'flowlogs', '--input', input, '--output', out, '--param', 'preset=top-talkers', '--reducers', '3', '--split-size', '64k', ...cluster, '--json'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const files = readOutput(out);
      expect(files.get('part-00001')).toBe('');
      return files.get('part-00000')!;
    };
    const one = await top(['--core', '1', '--task', '0', '--slots', '1']);
    expect(one.trim().split('\n')).toHaveLength(10);
    expect(await top(['--core', '1', '--task', '1', '--slots', '2'])).toBe(one);
  }, 120_000);

  it("a map busy in for (;;) when the job fails: mr run prints the job's timeout and exits 1, in-process and --isolate", async () => {
    // the attempt's thread is still spinning when the job ends: stopping the cluster terminates it
    for (const extra of [[], ['--isolate']]) {
      const r = await mr(['run', join(ROOT, 'test/fixtures/spin.mjs'), '--input', join(GUTENBERG, 'pg-metamorphosis.txt'), '--output', join(tempDir(), 'o'),
        '--task-timeout', '3s', '--max-attempts', '1', '--no-speculation', ...extra], { timeoutMs: 60_000 });
      expect(r.code, `${extra.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/^mr: job \S+ FAILED: task m-00000 failed 1 times; last error: no progress for \d+ s \(--task-timeout 3 s\) \(failed attempts/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 150_000);
});

describe('mr run refuses bs:// locations (issue 14): its block store is gone when it exits', () => {
  const book = join(GUTENBERG, 'pg-metamorphosis.txt');
  it.each([
    ['input', (out: string) => ['--input', 'bs://logs', '--output', out], 'bs://logs'],
    ['output', () => ['--input', book, '--output', 'bs://out/fromrun'], 'bs://out/fromrun'],
  ])('a bs:// %s: exit 2, one line saying why and what to do instead, nothing started or written', async (_what, args, named) => {
    const tmp = tempDir(); // the run's TMPDIR: an embedded cluster would make its run dir here
    const out = join(tempDir(), 'out');
    const r = await mr(['run', 'wordcount', ...args(out)], { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `mr: ${named}: mr run's embedded cluster has no block store that outlives it; run the job on a standing cluster with mr submit --master HOST:PORT --wait, or use a local or s3:// location`,
    ]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});
