/**
 * Issue 6's acceptance: the flowlogs job on a real cluster, against the deliberately simple
 * reference in test/flowlogs/reference.ts (which shares no code with the job).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowLogsGenerator } from '../../packages/jobs/src/gen/flowlogs-gen.js';
import { referenceFlowlogs, type RefFile } from '../flowlogs/reference.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, readOutput } from './helpers/output.js';
import { reapAll } from './helpers/procs.js';

/** Writes generated files under `dir` (the S3 delivery layout) and returns their paths. */
function generate(dir: string, o: { files: number; lines: number; seed: number; version: 2 | 5; gzip: boolean }): string[] {
  const g = new FlowLogsGenerator({ files: o.files, linesPerFile: o.lines, seed: o.seed, version: o.version, gzip: o.gzip });
  return Array.from({ length: o.files }, (_, i) => {
    const path = join(dir, g.file(i).name);
    mkdirSync(dirname(path), { recursive: true });
    const text = Buffer.concat([...g.chunks(i)]);
    writeFileSync(path, o.gzip ? gzipSync(text) : text);
    return path;
  });
}

/** What the reference reads: every file under the inputs, decompressed. */
function refFiles(inputs: string[]): RefFile[] {
  return inputs.flatMap((i) => filesUnder(i)).map((path) => {
    const raw = readFileSync(path);
    return { path, text: (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8') };
  });
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('flowlogs (issue 6): the job equals an independent reference', () => {
  const c = new TestCluster();
  let v2: string;
  let v5: string;
  let n = 0;

  /** Runs the job; returns the parts and the counters (or the failure). */
  async function run(inputs: string[], params: Record<string, string>, extra: string[] = []) {
    const out = join(c.dir, `out-${++n}`);
    const args = ['submit', 'flowlogs', ...inputs.flatMap((i) => ['--input', i]), '--output', out, '--wait', '--json', ...extra];
    for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
    const r = await c.mr(args);
    // a refused submission prints nothing on stdout
    const status = (r.stdout.trim() ? JSON.parse(r.stdout) : { state: 'REFUSED', counters: {} }) as { state: string; error?: string; counters: Record<string, number> };
    return { status, code: r.code, stderr: r.stderr, parts: status.state === 'SUCCEEDED' ? readOutput(out) : new Map<string, string>() };
  }

  /** Every part's lines, in part order, and the reference for the same inputs. */
  async function compare(inputs: string[], params: Record<string, string>, extra: string[] = []) {
    const ref = referenceFlowlogs(refFiles(inputs), params);
    const got = await run(inputs, params, extra);
    expect(got.status.state, got.status.error).toBe('SUCCEEDED');
    for (const k of ['inputRecords', 'badRecords', 'nodataRecords', 'skipdataRecords'] as const) {
      expect(got.status.counters[k] ?? 0, k).toBe(ref.counters[k]);
    }
    const lines = (part: string) => (got.parts.get(part) ?? '').split('\n').filter((l) => l !== '');
    const partNames = [...got.parts.keys()].filter((k) => k.startsWith('part-')).sort();
    return { ref, got, lines, partNames };
  }

  beforeAll(async () => {
    const dir = join(c.dir, 'data');
    // v2, plain, three files; v5 with its header, gzipped; a CloudWatch export (timestamp prefixes)
    v2 = join(dir, 'v2');
    generate(v2, { files: 3, lines: 4000, seed: 7, version: 2, gzip: false });
    v5 = join(dir, 'v5');
    generate(v5, { files: 2, lines: 3000, seed: 8, version: 5, gzip: true });
    const [plain] = generate(join(dir, 'tmp'), { files: 1, lines: 2000, seed: 9, version: 2, gzip: false });
    const lines = readFileSync(plain!, 'utf8').split('\n').filter((l) => l !== '');
    const stamp = (i: number) => `2026-01-01T00:${String(i % 60).padStart(2, '0')}:00${i % 2 ? '.123Z' : '+02:00'}`;
    mkdirSync(join(v5, 'cloudwatch'), { recursive: true });
    writeFileSync(join(v5, 'cloudwatch', 'export.log'), lines.map((l, i) => `${stamp(i)} ${l}\n`).join(''));
    await c.startMaster();
    c.startWorker('core-1', { role: 'core', slots: 2 });
    c.startWorker('task-1', { role: 'task', slots: 2 });
    await c.waitAlive(['core-1', 'task-1']);
  });
  afterAll(reapAll);

  const presets = ['top-talkers', 'rejected-by-src', 'port-scan', 'bytes-by-eni', 'ssh-rdp'];
  it.each(presets)('preset %s on v2 data and on v5 gzipped + CloudWatch-prefixed data', async (preset) => {
    for (const input of [v2, v5]) {
      const { ref, lines, partNames } = await compare([input], { preset }, ['--reducers', '3']);
      expect(ref.lines.length).toBeGreaterThan(0); // the generator makes every preset non-empty
      if (preset === 'top-talkers' || preset === 'rejected-by-src') {
        // top: the K first groups, in order, all in part-00000
        expect(lines('part-00000')).toEqual(ref.lines);
        expect(partNames.slice(1).flatMap(lines)).toEqual([]);
      } else {
        expect(partNames.flatMap(lines).sort(byBytes)).toEqual([...ref.lines].sort(byBytes));
      }
    }
  }, 120_000);

  const custom: Record<string, string>[] = [
    { groupBy: 'interface-id,action', where: 'dstport=22|3389', agg: 'count,sum:bytes' },
    { groupBy: 'dstport', where: 'bytes >= 1000; protocol=6', agg: 'count,min:bytes,max:bytes', having: 'count>=5' },
    { groupBy: 'srcaddr', agg: 'distinct:dstaddr,distinct:dstport,count', having: 'distinct_dstport>=3' },
    { groupBy: 'action,protocol', where: 'action!=ACCEPT|NODATA', agg: 'count,sum:packets,min:srcaddr,max:srcaddr' },
    { groupBy: 'flow-direction,traffic-path', agg: 'count,sum:bytes,max:start' },
    { groupBy: 'srcaddr', where: 'dstport<1024;srcport>1023', agg: 'distinct:dstport,sum:bytes', top: '12', orderBy: 'distinct_dstport' },
    { preset: 'top-talkers', top: '5', orderBy: 'count', having: 'count>1' },
  ];
  it.each(custom)('custom query %o on all the data at once (several formats in one job)', async (params) => {
    const { ref, lines, partNames } = await compare([v2, v5], params, ['--reducers', '2']);
    expect(ref.lines.length).toBeGreaterThan(0);
    if (params.top) expect(lines('part-00000')).toEqual(ref.lines);
    else expect(partNames.flatMap(lines).sort(byBytes)).toEqual([...ref.lines].sort(byBytes));
  }, 60_000);

  it('top is the same for 1, 2 and 7 reducers', async () => {
    const params = { groupBy: 'srcaddr,dstaddr', agg: 'sum:bytes,count', top: '25', orderBy: 'sum_bytes' };
    const ref = referenceFlowlogs(refFiles([v2]), params);
    for (const reducers of ['1', '2', '7']) {
      const { lines, partNames } = await compare([v2], params, ['--reducers', reducers]);
      expect(partNames).toHaveLength(Number(reducers));
      expect(lines('part-00000'), `${reducers} reducers`).toEqual(ref.lines);
      expect(partNames.slice(1).flatMap(lines)).toEqual([]);
    }
  }, 60_000);

  it('a plain v5 file cut into several map tasks: every split uses the file header', async () => {
    const dir = join(c.dir, 'v5plain');
    generate(dir, { files: 1, lines: 20000, seed: 11, version: 5, gzip: false });
    const params = { groupBy: 'flow-direction,action', agg: 'count,sum:bytes' };
    const one = await compare([dir], params);
    const many = await compare([dir], params, ['--split-size', '128k']);
    expect(many.got.status.counters.mapTasks).toBeGreaterThan(5);
    expect(one.got.status.counters.mapTasks).toBe(1);
    expect(many.lines('part-00000')).toEqual(one.lines('part-00000'));
    expect(many.got.status.counters.badRecords).toBe(0);
  }, 60_000);

  it('1% garbage lines: the job succeeds with exact badRecords; 50%: it fails naming the first bad file and line', async () => {
    const dir = join(c.dir, 'garbage');
    const [plain] = generate(join(dir, 'src'), { files: 1, lines: 5000, seed: 12, version: 2, gzip: false });
    const lines = readFileSync(plain!, 'utf8').split('\n').filter((l) => l !== '');
    // every n-th line spoiled: a line of the wrong shape, or a dstport that is not a number
    const badPort = (l: string) => l.split(' ').map((t, i) => (i === 6 ? '12abc' : t)).join(' ');
    const spoil = (every: number) => lines.map((l, i) => (i % every === every - 1 ? (i % 3 ? 'garbage here' : badPort(l)) : l));
    const few = join(dir, 'few', 'a.log');
    mkdirSync(dirname(few), { recursive: true });
    writeFileSync(few, spoil(100).join('\n') + '\n');
    const ok = await compare([join(dir, 'few')], { preset: 'bytes-by-eni' }, ['--split-size', '64k']);
    expect(ok.got.status.counters.badRecords).toBe(50);
    expect(ok.partNames.flatMap(ok.lines).sort(byBytes)).toEqual([...ok.ref.lines].sort(byBytes));

    const many = join(dir, 'many', 'b.log');
    mkdirSync(dirname(many), { recursive: true });
    writeFileSync(many, spoil(2).join('\n') + '\n');
    const bad = await run([join(dir, 'many')], { preset: 'bytes-by-eni' }, ['--split-size', '64k']);
    expect(bad.code).toBe(1);
    expect(bad.status.state).toBe('FAILED');
    // lines 2, 4, ... are spoiled; the first bad one is line 2 of b.log, whichever split found it
    expect(bad.status.error).toMatch(new RegExp(`^2500 of 5000 records are bad \\(50\\.0%, more than maxBadFraction 0\\.1\\); the first is ${many.replace(/[.]/g, '\\.')} line 2: `));
    // submit --wait names its job on stderr at once, then the one error line
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^job \S+ submitted; waiting for it to end/), expect.stringMatching(/^mr: job \S+ FAILED: 2500 of 5000/)]);
  }, 60_000);

  it('the documented AWS lines: NODATA and SKIPDATA are counted, not aggregated', async () => {
    const dir = join(c.dir, 'aws');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'sample.log'), [
      '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
      '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
      '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - NODATA',
      '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - SKIPDATA',
    ].join('\n') + '\n');
    const { got, lines } = await compare([dir], { groupBy: 'interface-id', agg: 'count,sum:bytes,distinct:dstport' });
    expect(lines('part-00000')).toEqual(['eni-1235b8ca123456789\t2\t8498\t2']);
    expect(got.status.counters).toMatchObject({ inputRecords: 4, nodataRecords: 1, skipdataRecords: 1, badRecords: 0 });
  });

  it('--format table prints the result as an aligned table under the summary', async () => {
    const out = join(c.dir, 'table');
    const r = await c.mr(['submit', 'flowlogs', '--input', v2, '--output', out, '--param', 'preset=top-talkers', '--param', 'top=3', '--reducers', '2', '--wait', '--format', 'table']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('srcaddr'));
    expect(lines[at]).toMatch(/^srcaddr +dstaddr +sum_bytes +sum_packets +count$/);
    expect(lines[at + 1]).toMatch(/^-+( +-+){4}$/);
    const rows = lines.slice(at + 2);
    const part = readFileSync(join(out, 'part-00000'), 'utf8').trimEnd().split('\n');
    expect(rows.map((l) => l.trim().split(/ +/))).toEqual(part.map((l) => l.split('\t')));
    // numbers right-aligned: every row ends at the same column
    expect(new Set(rows.map((l) => l.length)).size).toBe(1);
  });

  it('submit --wait --format table reads a bs:// result through the cluster', async () => {
    const r = await c.mr(['submit', 'flowlogs', '--input', v2, '--output', 'bs://reports/eni', '--param', 'preset=bytes-by-eni', '--param', 'top=2', '--param', 'orderBy=sum_bytes', '--wait', '--format', 'table']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^interface-id +sum_bytes +sum_packets\n-+ +-+ +-+\neni-[0-9a-f]{17} +\d+ +\d+\neni-[0-9a-f]{17} +\d+ +\d+$/m);
  }, 60_000);

  it('query errors are refused at submit with one line naming the offending part, before any task runs', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ groupBy: 'srcadr' }, /unknown field 'srcadr'/],
      [{ groupBy: 'srcaddr', agg: 'avg:bytes' }, /unknown aggregate 'avg:bytes'/],
      [{ groupBy: 'srcaddr', where: 'bytes=>5' }, /bytes=>5/],
      [{ groupBy: 'srcaddr', top: '3' }, /top needs orderBy/],
      [{ preset: 'nope' }, /unknown preset 'nope'/],
    ];
    for (const [params, message] of cases) {
      const r = await run([v2], params);
      expect(r.code, JSON.stringify(params)).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const s = await c.mr(['status', '--json']);
    expect((JSON.parse(s.stdout) as { name: string; state: string }[]).filter((j) => j.state === 'RUNNING')).toEqual([]);
  });
});
