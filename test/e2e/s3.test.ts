import { createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { listNames, putObject } from '../../packages/shared/src/s3/s3.js';
import { runOracle } from '../oracle.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, partLines, straightforwardWordCount } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, ROOT, tempDir, waitFor } from './helpers/procs.js';
import { startS3, type TestS3 } from './helpers/s3rver.js';

const books = filesUnder(GUTENBERG);

describe('S3 input and output (issue 5), against s3rver', () => {
  let s3: TestS3;
  const c = new TestCluster();
  const cat = async (uri: string) => {
    const r = await mr(['fs', 'cat', uri], { env: s3.env });
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  };
  const keys = async (bucket: string, prefix: string) => (await listNames(bucket, prefix)).map((o) => o.key).sort();

  beforeAll(async () => {
    s3 = await startS3(['in', 'out']);
    Object.assign(process.env, s3.env); // for this process's own uploads and listings
    Object.assign(c.env, s3.env);
    for (const f of books) await putObject('in', `books/${f.split('/').pop()}`, readFileSync(f));
    await c.startMaster();
    c.startWorker('core-1', { role: 'core', slots: 2 });
    c.startWorker('task-1', { role: 'task', slots: 2 });
    await c.waitAlive(['core-1', 'task-1']);
  });
  afterAll(async () => {
    await reapAll();
    s3?.stop();
  });

  it('word count S3 -> S3 equals the reference; the output holds exactly the parts and _SUCCESS', async () => {
    const r = await c.mr(['submit', 'wordcount', '--input', 's3://in/books/', '--output', 's3://out/wc', '--reducers', '3', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await keys('out', 'wc')).toEqual(['wc/_SUCCESS', 'wc/part-00000', 'wc/part-00001', 'wc/part-00002']);
    const expected = runOracle(wordcount, books, 3);
    for (let p = 0; p < 3; p++) expect(await cat(`s3://out/wc/part-0000${p}`)).toBe(expected.get(`part-0000${p}`));
    const again = await c.mr(['submit', 'wordcount', '--input', 's3://in/books', '--output', 's3://out/wc/', '--wait']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/output s3:\/\/out\/wc\/? already holds _SUCCESS \(use --overwrite/);
  });

  it('mr run with an S3 output: the phase lines on stderr, nothing from the AWS SDK (no "Stream of unknown length")', async () => {
    const r = await mr(['run', 'wordcount', '--input', books[0]!, '--output', 's3://out/run-wc'], { env: s3.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^map: 1\/1 tasks in \d+\.\d s\nreduce: 1\/1 tasks in \d+\.\d s\n$/);
    expect(await keys('out', 'run-wc')).toEqual(['run-wc/_SUCCESS', 'run-wc/part-00000']);
  });

  it('1200 small input objects (paginated listing), _ and . names skipped', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1200; i++) {
      const word = `w${String.fromCharCode(97 + (i % 26))}`;
      counts.set(word, (counts.get(word) ?? 0) + 1);
      await putObject('in', `many/obj-${String(i).padStart(4, '0')}.txt`, `${word}\n`);
    }
    await putObject('in', 'many/_SUCCESS', 'ignored\n');
    await putObject('in', 'many/.hidden', 'ignored\n');
    const r = await c.mr(['submit', 'wordcount', '--input', 's3://in/many', '--output', 's3://out/many', '--wait', '--json'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { counters: Record<string, number> }).counters.mapTasks).toBe(1200);
    const got = new Map(partLines(await cat('s3://out/many/part-00000')).map(([k, v]) => [k, Number(v)]));
    expect(got).toEqual(counts);
  }, 300_000);

  it('a 100 MB object read as several ranged splits, and a gzipped object', async () => {
    const big = join(tempDir(), 'big.txt');
    const out = createWriteStream(big);
    const text = books.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (let i = 0; i < 30; i++) out.write(text + '\n');
    await new Promise<void>((r) => out.end(() => r()));
    const up = await mr(['fs', 'put', big, 's3://in/big/big.txt'], { env: s3.env });
    expect(up.code, up.stderr).toBe(0);
    await putObject('in', 'gz/book.txt.gz', gzipSync(readFileSync(books[0]!)));
    const r = await c.mr(['submit', 'wordcount', '--input', 's3://in/big,s3://in/gz/book.txt.gz', '--output', 's3://out/big', '--split-size', '16m', '--wait', '--json'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { counters: Record<string, number> };
    expect(s.counters.mapTasks).toBe(Math.ceil(readFileSync(big).length / (16 * 1024 * 1024)) + 1);
    const once = straightforwardWordCount(books);
    const first = straightforwardWordCount([books[0]!]);
    const got = new Map(partLines(await cat('s3://out/big/part-00000')).map(([k, v]) => [k, Number(v)]));
    expect(got.size).toBe(once.size);
    for (const [w, n] of once) expect(got.get(w), w).toBe(30 * n + (first.get(w) ?? 0));
  }, 300_000);

  it('a failed job leaves nothing at the output prefix (no parts, no _SUCCESS, no visible uploads)', async () => {
    const r = await c.mr(['submit', join(ROOT, 'packages/jobs/dist/testing/poison.js'), '--input', 's3://in/books', '--output', 's3://out/failed',
      '--param', 'poison=the', '--reducers', '2', '--max-attempts', '1', '--wait', '--json']);
    expect(r.code).toBe(1);
    expect(await keys('out', 'failed')).toEqual([]);
  });

  it('a job killed while its reduce tasks commit leaves nothing at the output prefix (its committed parts are still pending uploads)', async () => {
    const dir = tempDir('markers-');
    // r-00002 holds for a minute; r-00000 and r-00001 finish and are committed (as pending uploads)
    const id = await c.submit([join(ROOT, 'packages/jobs/dist/testing/markers.js'), '--input', 's3://in/books', '--output', 's3://out/killed',
      '--reducers', '3', '--param', `dir=${dir}`, '--param', 'only=r-00002', '--param', 'holdMs=60000', '--no-speculation']);
    await waitFor('two reduce tasks committed', 60_000, async () => (((await c.progress(id))?.reducesDone ?? 0) >= 2 ? true : undefined));
    expect(readdirSync(dir).some((n) => n.startsWith('r-00002.') && n.endsWith('.start'))).toBe(true);
    const k = await c.mr(['job', 'kill', id]);
    expect(k.code, k.stderr).toBe(0);
    expect((await c.status(id)).state).toBe('KILLED');
    expect(await keys('out', 'killed')).toEqual([]);
  }, 120_000);

  it('wrong credentials and a missing bucket: one-line errors naming the bucket', async () => {
    const bad = await mr(['run', 'wordcount', '--input', 's3://in/books', '--output', join(tempDir(), 'o')], { env: { ...s3.env, AWS_ACCESS_KEY_ID: 'WRONGKEY', AWS_SECRET_ACCESS_KEY: 'wrong' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mr: access to bucket in denied: \w+ \(check the AWS credentials\)\n$/);
    const missing = await mr(['run', 'wordcount', '--input', 's3://no-such-bucket/x', '--output', join(tempDir(), 'o')], { env: s3.env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('mr: bucket no-such-bucket does not exist (s3://no-such-bucket/x)\n');
  });

  it('mr fs on s3://: put, ls, get, cp to and from the local disk, rm', async () => {
    const dir = tempDir();
    const local = join(dir, 'a.txt');
    writeFileSync(local, 'alpha\nbeta\n');
    const env = { env: s3.env };
    expect((await mr(['fs', 'put', local, 's3://out/fs/a.txt'], env)).code).toBe(0);
    const again = await mr(['fs', 'put', local, 's3://out/fs/a.txt'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('mr: s3://out/fs/a.txt already exists (use --overwrite)\n');
    expect((await mr(['fs', 'cp', 's3://out/fs/a.txt', 's3://out/fs/sub/b.txt'], env)).code).toBe(0);
    const ls = JSON.parse((await mr(['fs', 'ls', 's3://out/fs', '--json'], env)).stdout) as { path: string; type: string }[];
    // an object has its LastModified; a prefix is no object and has none
    expect(ls).toEqual([
      { path: 's3://out/fs/a.txt', type: 'file', size: 11, replication: 0, mtime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      { path: 's3://out/fs/sub', type: 'dir', size: 0, replication: 0, mtime: null },
    ]);
    expect((await mr(['fs', 'get', 's3://out/fs/sub/b.txt', join(dir, 'b.txt')], env)).code).toBe(0);
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('alpha\nbeta\n');
    const rmPrefix = await mr(['fs', 'rm', 's3://out/fs'], env);
    expect(rmPrefix.code).toBe(1);
    expect((await mr(['fs', 'rm', '-r', 's3://out/fs'], env)).code).toBe(0);
    expect(await keys('out', 'fs')).toEqual([]);
  });

  it('mr fs cp streams across file, s3:// and bs://: a 17 MiB file (three multipart parts) comes back byte-identical', async () => {
    const dir = tempDir();
    const big = join(dir, 'big.bin');
    const bytes = Buffer.alloc(17 * 1024 * 1024 + 5);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >>> 13)) & 255; // no period of a part's length
    writeFileSync(big, bytes);
    for (const [from, to] of [[big, 's3://out/cp/big.bin'], ['s3://out/cp/big.bin', 'bs:///cp/big.bin'], ['bs:///cp/big.bin', 's3://out/cp/again.bin'], ['s3://out/cp/again.bin', join(dir, 'back.bin')]] as const) {
      const r = await c.mr(['fs', 'cp', from, to]);
      expect(r.code, `${from} -> ${to}: ${r.stderr}`).toBe(0);
    }
    expect(readFileSync(join(dir, 'back.bin')).equals(bytes)).toBe(true);
  }, 120_000);
});
