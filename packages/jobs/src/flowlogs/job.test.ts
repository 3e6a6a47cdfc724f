import type { JobContext, LineBytes } from '@mr/shared/core';
import { describe, expect, it } from 'vitest';
import type { Partial } from './aggregate.js';
import job from './job.js';

/** A JobContext enough for map/reduce called directly (params frozen, as the worker's are). */
function context(params: Record<string, string>, partition?: number, gathered: [string, unknown][] = []): JobContext & { offset: number } {
  return {
    params: Object.freeze({ ...params }), jobId: 'j', taskId: 't', attempt: 0, offset: 0, firstLine: undefined,
    counter: () => {}, badRecord: () => {}, headerRecord: () => {}, gathered, partition,
  };
}

/** A line as input 'bytes' hands it to map: here in the middle of a larger buffer. */
function bytesOf(line: string): LineBytes {
  const bytes = Buffer.from(`xx\n${line}\nyy`);
  return { bytes, start: 3, end: 3 + Buffer.byteLength(line) };
}

const line = (src: string, dst: string, bytes: number, packets = 1): string =>
  `2 123456789010 eni-1 ${src} ${dst} 1 2 6 ${packets} ${bytes} 1418530010 1418530070 ACCEPT OK`;

function mapAll(ctx: JobContext & { offset: number }, lines: string[]): Map<string, Partial> {
  const out = new Map<string, Partial>();
  const emit = (k: string, v: Partial) => void out.set(k, v);
  lines.forEach((l, i) => {
    ctx.offset = 1 + i; // not the file's first line
    job.map(bytesOf(l), emit, ctx);
  });
  job.mapCleanup!(emit, ctx);
  return out;
}

describe('flowlogs map: in-mapper table', () => {
  it('a header too long to read ahead (mapSetup sees no first line) is still the format, from the first record', () => {
    const params = job.params!({ groupBy: 'dstport', agg: 'count' });
    let headers = 0;
    const ctx = { ...context(params), headerRecord: () => void headers++ } as JobContext & { offset: number; firstLine: string | undefined };
    const out = new Map<string, Partial>();
    const emit = (k: string, v: Partial) => void out.set(k, v);
    job.mapSetup!(ctx);
    const header = 'dstport srcaddr'; // not v2's order: read as v2 it would be a bad record
    ctx.firstLine = header; // what the engine sets when it reads the split's first line
    job.map(bytesOf(header), emit, ctx);
    ctx.offset = 16;
    job.map(bytesOf('443 10.0.0.1'), emit, ctx);
    job.mapCleanup!(emit, ctx);
    expect(headers).toBe(1);
    expect(out).toEqual(new Map([['443', [1]]]));
  });


  it('emits TAB keys with folded partials; attempts interleaved in one thread keep their own tables', () => {
    const params = job.params!({ preset: 'top-talkers' });
    const a = context(params);
    const b = context(params);
    const outA = new Map<string, Partial>();
    const outB = new Map<string, Partial>();
    const emitA = (k: string, v: Partial) => void outA.set(k, v);
    const emitB = (k: string, v: Partial) => void outB.set(k, v);
    const rows = [line('10.0.0.1', '10.0.0.2', 100), line('10.0.0.1', '10.0.0.2', 50, 2), line('10.0.0.3', '10.0.0.2', 7)];
    rows.forEach((l, i) => {
      a.offset = b.offset = 1 + i;
      job.map(bytesOf(l), emitA, a);
      job.map(bytesOf(l.replaceAll(' ', '  ')), emitB, b); // runs of spaces: the same groups
    });
    job.mapCleanup!(emitA, a);
    job.mapCleanup!(emitB, b);
    const want = new Map<string, Partial>([['10.0.0.1\t10.0.0.2', [150, 3, 2]], ['10.0.0.3\t10.0.0.2', [7, 1, 1]]]);
    expect(outA).toEqual(want);
    expect(outB).toEqual(want);
  });
});

describe('flowlogs reduce: top K', () => {
  it('the K best, whatever order the groups come in, with many more groups than K (the cutoff after a trim)', () => {
    const params = job.params!({ preset: 'top-talkers', top: '7' });
    // 5000 groups, several with equal bytes (ties by key), in a scrambled order
    const groups = Array.from({ length: 5000 }, (_, i) => ({ key: `10.0.${i % 251}.${i}\t10.1.0.1`, bytes: (i * 7919) % 1000 }));
    const reduced = (partition: number, gathered: [string, unknown][] = []) => {
      const ctx = context(params, partition, gathered);
      const out: [string, unknown][] = [];
      const emit = (k: string, v: unknown) => void out.push([k, v]);
      for (const g of groups.filter((_, i) => i % 2 === partition)) job.reduce(g.key, [[g.bytes, 1, 1]], emit, ctx);
      job.reduceCleanup!(emit, ctx);
      return out;
    };
    const fromOne = reduced(1);
    expect(fromOne).toHaveLength(7);
    const got = reduced(0, fromOne).map(([k, v]) => `${k}\t${v as string}`);
    const cmp = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y));
    const want = [...groups].sort((x, y) => y.bytes - x.bytes || cmp(x.key, y.key)).slice(0, 7).map((g) => `${g.key}\t${g.bytes}\t1\t1`);
    expect(got).toEqual(want);
  });

  it('groups past 2^53 bytes (sums kept as decimal strings) arriving after the cutoff still rank', () => {
    const params = job.params!({ preset: 'top-talkers', top: '3' });
    const ctx = context(params, 0);
    const out: [string, unknown][] = [];
    const emit = (k: string, v: unknown) => void out.push([k, v]);
    for (let i = 0; i < 3000; i++) job.reduce(`a${String(i).padStart(4, '0')}`, [[1000 + (i % 50), 1, 1]], emit, ctx);
    job.reduce('late-big', [['9007199254740993', 1, 1]], emit, ctx); // 2^53 + 1
    job.reduce('late-small', [[3, 1, 1]], emit, ctx);
    job.reduce('late-max', [[Number.MAX_SAFE_INTEGER, 1, 1]], emit, ctx);
    job.reduce('0-late-tie', [[1049, 1, 1]], emit, ctx); // equal to the cutoff, ranked before it by key
    job.reduceCleanup!(emit, ctx);
    expect(out.map(([k, v]) => `${k} ${(v as string).split('\t')[0]}`)).toEqual(['late-big 9007199254740993', `late-max ${Number.MAX_SAFE_INTEGER}`, '0-late-tie 1049']);
  });

  it('a job with other params in the same thread gets its own query', () => {
    const tt = mapAll(context(job.params!({ preset: 'top-talkers' })), [line('10.0.0.1', '10.0.0.2', 100)]);
    const eni = mapAll(context(job.params!({ preset: 'bytes-by-eni' })), [line('10.0.0.1', '10.0.0.2', 100)]);
    expect([...tt]).toEqual([['10.0.0.1\t10.0.0.2', [100, 1, 1]]]);
    expect([...eni]).toEqual([['eni-1', [100, 1]]]);
  });
});
