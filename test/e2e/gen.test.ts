import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder } from './helpers/output.js';
import { mr, reapAll, tempDir, type Result } from './helpers/procs.js';
import { startS3, type TestS3 } from './helpers/s3rver.js';

const V5_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
const LAYOUT = /^AWSLogs\/(\d{12})\/vpcflowlogs\/([a-z]{2}-[a-z]+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_vpcflowlogs_\2_fl-[0-9a-f]{17}_\3\4\5T\d{4}Z_[0-9a-f]{8}\.log(\.gz)?$/;

/** contract.md: an error is one line on stderr, with the contract's exit code. */
function expectOneLineError(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

/** Relative name -> content of every file under a local directory. */
const localFiles = (dir: string) => new Map(filesUnder(dir).map((f) => [relative(dir, f), readFileSync(f, 'latin1')]));

describe('mr gen flowlogs: the real CLI to a local directory, bs:// and s3://', () => {
  const c = new TestCluster();
  let s3: TestS3;

  beforeAll(async () => {
    [s3] = await Promise.all([startS3(['gen']), c.startMaster()]);
    c.startWorker('core-1', { role: 'core' });
    await c.waitAlive(['core-1']);
  });
  afterAll(async () => {
    await reapAll();
    s3?.stop();
  });

  it('--gzip --version 5 to a local directory: the S3 delivery layout, each file a header then the records; a one-line summary', async () => {
    const out = join(tempDir(), 'flowlogs');
    const r = await mr(['gen', 'flowlogs', '--output', out, '--files', '3', '--lines-per-file', '2000', '--gzip', '--version', '5', '--seed', '42']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^gen flowlogs .*: 3 files, 6003 lines, \d+ bytes \(\d+ gzipped\) in [\d.]+ s \([\d.]+ MB\/s\)\n$/);
    const names = filesUnder(out).map((f) => relative(out, f));
    expect(names).toHaveLength(3);
    for (const n of names) expect(n).toMatch(LAYOUT);
    expect(names.every((n) => n.endsWith('.log.gz'))).toBe(true);
    for (const f of filesUnder(out)) {
      const lines = gunzipSync(readFileSync(f)).toString('latin1').split('\n');
      expect(lines[0]).toBe(V5_HEADER);
      expect(lines).toHaveLength(2002); // header, 2000 records, '' after the last newline
      expect(lines[1]!.split(' ')).toHaveLength(29);
    }
  });

  it('same seed, same bytes; a single .log file; an output holding files is refused unless --overwrite; bad flags are usage errors', async () => {
    const dir = tempDir();
    const args = ['--files', '2', '--lines-per-file', '1500', '--seed', '7'];
    for (const d of ['a', 'b']) expect((await mr(['gen', 'flowlogs', '--output', join(dir, d), ...args])).code).toBe(0);
    expect(localFiles(join(dir, 'b'))).toEqual(localFiles(join(dir, 'a')));
    expectOneLineError(await mr(['gen', 'flowlogs', '--output', join(dir, 'a'), ...args]), 1, /output .*\/a already holds files \(use --overwrite\)/);
    expect((await mr(['gen', 'flowlogs', '--output', join(dir, 'a'), ...args, '--overwrite'])).code).toBe(0);
    expect(localFiles(join(dir, 'a'))).toEqual(localFiles(join(dir, 'b')));

    const one = await mr(['gen', 'flowlogs', '--output', join(dir, 'one.log'), '--lines-per-file', '10']);
    expect(one.code, one.stderr).toBe(0);
    expect(readFileSync(join(dir, 'one.log'), 'latin1').split('\n')).toHaveLength(11);

    expectOneLineError(await mr(['gen', 'flowlogs', '--output', join(dir, 'c'), '--version', '3']), 2, /--version: '3' is not a flow log version/);
    expectOneLineError(await mr(['gen', 'flowlogs', '--output', join(dir, 'c'), '--files', '0']), 2, /--files: 0 is out of range/);
    expectOneLineError(await mr(['gen', 'flowlogs', '--output', join(dir, 'c'), '--lines-per-file', '1k']), 2, /--lines-per-file: '1k' is not a whole number/);
    expectOneLineError(await mr(['gen', 'flowlogs', '--files', '2']), 2, /--output/);
  });

  it('bs:// and s3:// outputs hold the same files and bytes as a local run', async () => {
    const args = ['--files', '2', '--lines-per-file', '3000', '--seed', '9'];
    const local = join(tempDir(), 'local');
    expect((await mr(['gen', 'flowlogs', '--output', local, ...args])).code).toBe(0);
    const expected = localFiles(local);

    const bs = await c.mr(['gen', 'flowlogs', '--output', 'bs://gen/fl', ...args]);
    expect(bs.code, bs.stderr).toBe(0);
    const toS3 = await mr(['gen', 'flowlogs', '--output', 's3://gen/fl', ...args], { env: s3.env });
    expect(toS3.code, toS3.stderr).toBe(0);

    for (const [base, run] of [['bs://gen/fl', (a: string[]) => c.mr(a)], ['s3://gen/fl', (a: string[]) => mr(a, { env: s3.env })]] as const) {
      const ls = await run(['fs', 'ls', base, '-r', '--json']);
      expect(ls.code, ls.stderr).toBe(0);
      const files = (JSON.parse(ls.stdout) as { path: string; type: string }[]).filter((e) => e.type === 'file').map((e) => e.path.slice(base.length + 1)).sort();
      expect(files).toEqual([...expected.keys()].sort());
      for (const f of files) expect((await run(['fs', 'cat', `${base}/${f}`])).stdout, f).toBe(expected.get(f));
      expectOneLineError(await run(['gen', 'flowlogs', '--output', base, ...args]), 1, /already holds files \(use --overwrite\)/);
    }
  });
});
