/**
 * Issue 7 (sort benchmark): `mr gen records`, the `sort` job with its sampled total-order
 * partitioner, and `mr validate sort`, through the real CLI, on local files, bs:// and s3://.
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { mr, reapAll, tempDir, type Result } from './helpers/procs.js';
import { startS3, type TestS3 } from './helpers/s3rver.js';

/** contract.md: an error is one line on stderr, with the contract's exit code. */
function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

const OK = (parts: number, records: number) => new RegExp(`^validate sort \\S+: OK, ${parts} parts, ${records} records in key order, ${records * 99} bytes, checksum [0-9a-f]{16}, the same records as the input \\(\\d+ files?\\) in [\\d.]+ s\\n$`);

describe('sort benchmark: mr gen records -> mr run sort -> mr validate sort', () => {
  afterAll(reapAll);

  it('200,000 records, 4 reducers: globally sorted, balanced parts, the input\'s records; a swapped pair of lines fails validation', async () => {
    const dir = tempDir('mr-sort-');
    const input = join(dir, 'in');
    const gen = await mr(['gen', 'records', '--output', input, '--count', '200000', '--seed', '7']);
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stderr).toMatch(/^gen records .*: 1 file, 200000 records, 20000000 bytes in [\d.]+ s \([\d.]+ MB\/s\)\n$/);
    expect(readdirSync(input)).toEqual(['part-rec-00000']);
    expect(statSync(join(input, 'part-rec-00000')).size).toBe(20_000_000);

    const out = join(dir, 'out');
    const run = await mr(['run', 'sort', '--input', input, '--output', out, '--reducers', '4', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as { state: string; counters: Record<string, number> };
    expect(status.state).toBe('SUCCEEDED');
    expect(status.counters.outputRecords).toBe(200_000);
    // split points from a 100,000-line sample: every part within 10% of a quarter
    const sizes = [0, 1, 2, 3].map((p) => readFileSync(join(out, `part-0000${p}`), 'latin1').split('\n').length - 1);
    for (const n of sizes) expect(Math.abs(n - 50_000), `part sizes ${sizes.join(', ')}`).toBeLessThan(5_000);

    // two lines of part-00001 swapped: the same records, out of order at the first of them
    const swapped = join(dir, 'swapped');
    cpSync(out, swapped, { recursive: true });
    const lines = readFileSync(join(swapped, 'part-00001'), 'latin1').split('\n');
    [lines[99], lines[199]] = [lines[199]!, lines[99]!];
    writeFileSync(join(swapped, 'part-00001'), lines.join('\n'), 'latin1');
    // a record lost (the last line of the last part): still sorted, but not the input's records
    const lost = join(dir, 'lost');
    cpSync(out, lost, { recursive: true });
    const last = readFileSync(join(lost, 'part-00003'), 'latin1');
    writeFileSync(join(lost, 'part-00003'), last.slice(0, last.lastIndexOf('\n', last.length - 2) + 1), 'latin1');

    // independent checks, at once (each CLI start costs about a second)
    const [ok, outOfOrder, missing, uncommitted] = await Promise.all([
      mr(['validate', 'sort', out, '--input', input]),
      mr(['validate', 'sort', swapped, '--input', input, '--json']),
      mr(['validate', 'sort', lost, '--input', input]),
      mr(['validate', 'sort', input]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(OK(4, 200_000));
    expectOneLineError(outOfOrder, 1, /^mr: validate sort \S+: part-00001 line 101: key ".{10}" sorts before the previous key ".{10}" \(line 100\)\n$/);
    expect(JSON.parse(outOfOrder.stdout)).toMatchObject({ ok: false, parts: 4, part: 'part-00001', line: 101, input: { records: 200_000 } });
    expectOneLineError(missing, 1, /: it holds 199999 records, the input 200000\n$/);
    expectOneLineError(uncommitted, 1, /holds no _SUCCESS/);
  });
});

describe('sort on bs:// and s3://: sampling by ranged reads, validation reading any location', () => {
  const c = new TestCluster();
  let s3: TestS3;

  beforeAll(async () => {
    s3 = await startS3(['recs']);
    Object.assign(c.env, s3.env); // the master checks s3:// locations, workers read and write them
    await c.startMaster();
    c.startWorker('core-1', { role: 'core', slots: 2 });
    await c.waitAlive(['core-1']);
  });
  afterAll(async () => {
    await reapAll();
    s3?.stop();
  });

  it('bs:// -> bs:// and s3:// -> s3://, 3 files of records, 3 reducers; the same seed is the same records anywhere', async () => {
    const args = ['--count', '20000', '--files', '3', '--seed', '11'];
    const bases = ['bs://sort', 's3://recs/sort'];
    for (const gen of await Promise.all(bases.map((base) => c.mr(['gen', 'records', '--output', `${base}/in`, ...args])))) expect(gen.code, gen.stderr).toBe(0);
    const runs = await Promise.all(bases.map((base) => c.mr(['submit', 'sort', '--input', `${base}/in`, '--output', `${base}/out`, '--reducers', '3', '--wait', '--json'])));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as { counters: Record<string, number> }).counters.outputRecords).toBe(20_000);
    }
    const checks = await Promise.all([
      ...bases.map((base) => c.mr(['validate', 'sort', `${base}/out`, '--input', `${base}/in`])),
      // the s3 output holds the records of the bs:// input
      c.mr(['validate', 'sort', 's3://recs/sort/out', '--input', 'bs://sort/in']),
    ]);
    for (const ok of checks) {
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(OK(3, 20_000));
    }
    expect((await c.mr(['fs', 'rm', 'bs://sort/out/part-00001'])).code).toBe(0);
    expectOneLineError(await c.mr(['validate', 'sort', 'bs://sort/out']), 1, /bs:\/\/sort\/out: part-00001 is missing/);
  });
});
