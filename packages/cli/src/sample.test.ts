import { gzipSync } from 'node:zlib';
import { jobShapeProblem, MAX_SAMPLE_LINES, SAMPLE_RANGES, type JobDefinition } from '@mr/shared';
import { describe, expect, it } from 'vitest';
import { planFromSample, type ResolvedJob } from './job-ref.js';
import { sampleLines, type SampleSource } from './sample.js';

/** In-memory files read in chunks of `chunk` bytes; counts the bytes handed out. */
function memory(files: Record<string, Buffer>, chunk = 7) {
  const stats = { bytes: 0 };
  const chunks = async function* (b: Buffer) {
    for (let i = 0; i < b.length; i += chunk) {
      stats.bytes += Math.min(chunk, b.length - i);
      yield b.subarray(i, i + chunk);
    }
  };
  const src: SampleSource = {
    range: (uri, start, end) => chunks(files[uri]!.subarray(start, end)),
    gunzipped: () => { throw new Error('not gzipped'); },
  };
  const list = Object.entries(files).map(([uri, b]) => ({ uri, size: b.length }));
  return { src, list, stats };
}

const numbered = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${String(from + i).padStart(6, '0')}`);
const text = (lines: string[]) => Buffer.from(lines.map((l) => l + '\n').join(''));

describe('input sampling (JobDefinition.sample): whole lines from evenly spaced ranges', () => {
  it('a large input: SAMPLE_RANGES ranges, each its first lines, evenly spread; reads little of it', async () => {
    const all = numbered(0, 100_000);
    const m = memory({ a: text(all) }, 4096);
    const got = await sampleLines(m.list, 200, m.src);
    expect(got).toHaveLength(200);
    const per = 200 / SAMPLE_RANGES;
    for (let r = 0; r < SAMPLE_RANGES; r++) {
      const first = all.indexOf(got[r * per]!);
      // the range's first whole line, within one line of where the range starts
      expect(Math.abs(first - (r * all.length) / SAMPLE_RANGES)).toBeLessThanOrEqual(1);
      expect(got.slice(r * per, (r + 1) * per)).toEqual(all.slice(first, first + per));
    }
    expect(m.stats.bytes).toBeLessThan(SAMPLE_RANGES * 2 * 4096 + 200 * 10);
  });

  it('a small input is read whole, each line once, across files, whatever the chunking; no partial lines', async () => {
    const files = { a: text(numbered(0, 7)), b: Buffer.alloc(0), c: text(numbered(7, 3)), d: Buffer.from('no newline at the end') };
    for (const chunk of [1, 2, 5, 64]) {
      const m = memory(files, chunk);
      expect(await sampleLines(m.list, 1000, m.src)).toEqual([...numbered(0, 10), 'no newline at the end']);
    }
  });

  it('lines longer than a range; CRLF; a range starting exactly at a line start', async () => {
    const long = ['x'.repeat(500), 'y'.repeat(10), 'z'.repeat(700)];
    const m = memory({ a: Buffer.from(long.map((l) => l + '\r\n').join('')) }, 13);
    expect(await sampleLines(m.list, 100, m.src)).toEqual(long);
    // 10 lines of 12 bytes and 10 ranges: every range starts at a line
    const m2 = memory({ a: text(numbered(0, 10)) }, 3);
    expect(await sampleLines(m2.list, 10, m2.src)).toEqual(numbered(0, 10));
    expect(await sampleLines(m2.list, 0, m2.src)).toEqual([]);
    expect(await sampleLines([], 10, m2.src)).toEqual([]);
  });

  it('a .gz file is read from its start, once, for the ranges that start in it', async () => {
    const plain = text(numbered(0, 1000));
    const gz = gzipSync(plain);
    const src: SampleSource = {
      range: () => { throw new Error('no ranged reads of a .gz file'); },
      gunzipped: async function* () { yield plain; },
    };
    const got = await sampleLines([{ uri: 'a.gz', size: gz.length }], 50, src);
    expect(got).toEqual(numbered(0, 50));
  });
});

describe('planFromSample: the planned params join the job\'s params at submit', () => {
  const job = (o: Partial<JobDefinition>): ResolvedJob => {
    const definition: JobDefinition = { name: 'j', map() {}, reduce() {}, ...o };
    return { name: 'j', definition, params: { a: '1' }, policy: { gather: false }, columns: ['key', 'value'] };
  };
  const read = async (n: number) => [`asked for ${n}`];

  it('merges what plan returns over the params, and checks them again with the job\'s params check', async () => {
    const seen: unknown[] = [];
    const r = job({
      params: (raw) => ({ ...raw, checked: 'yes' }),
      sample: { lines: 5, plan: (sample, R, params) => (seen.push([sample, R, params]), { b: `${R}` }) },
      columns: (p) => Object.keys(p),
    });
    const planned = await planFromSample(r, 4, read);
    expect(seen).toEqual([[['asked for 5'], 4, { a: '1' }]]);
    expect(planned.params).toEqual({ a: '1', b: '4', checked: 'yes' });
    expect(planned.columns).toEqual(['a', 'b', 'checked']);
    const plain = job({});
    expect(await planFromSample(plain, 4, read)).toBe(plain); // no sample: nothing read, nothing changed
  });

  it('refuses planned params the check refuses, a plan that throws, and a plan that returns no params', async () => {
    const refuse = job({ params: (raw) => { if (raw.b) throw new Error('b is not allowed'); return raw; }, sample: { lines: 1, plan: () => ({ b: 'x' }) } });
    await expect(planFromSample(refuse, 2, read)).rejects.toThrow(/j: bad params: b is not allowed/);
    await expect(planFromSample(job({ sample: { lines: 1, plan: () => { throw new Error('boom'); } } }), 2, read)).rejects.toThrow(/sample.plan threw: boom/);
    await expect(planFromSample(job({ sample: { lines: 1, plan: () => ({ n: 1 }) as unknown as Record<string, string> } }), 2, read)).rejects.toThrow(/object of strings/);
  });

  it('an async plan is awaited; a params check, gather or columns that returns a promise is refused with one line', async () => {
    const planned = await planFromSample(job({ sample: { lines: 1, plan: async () => ({ b: 'later' }) } }), 2, read);
    expect(planned.params).toEqual({ a: '1', b: 'later' });
    // a promise would have gone on as `{}` (no params) or `false`: refused instead
    const promised = (o: Partial<JobDefinition>) => planFromSample(job({ sample: { lines: 1, plan: () => ({ b: 'x' }) }, ...o }), 2, read);
    await expect(promised({ params: (() => Promise.resolve({})) as unknown as JobDefinition['params'] })).rejects.toThrow("j: params returned a promise; it must return the checked params");
    await expect(promised({ gather: (() => Promise.resolve(true)) as unknown as JobDefinition['gather'] })).rejects.toThrow('j: gather returned a promise; it must return true or false');
    await expect(promised({ columns: (() => Promise.resolve([])) as unknown as JobDefinition['columns'] })).rejects.toThrow('j: columns returned a promise; it must return the column names');
  });

  it('a module whose combine, partition or submit-time functions are async is refused when it is loaded; map, reduce and the hooks may be', () => {
    const shape = (extra: Record<string, unknown>) => jobShapeProblem({ name: 'j', map() {}, reduce() {}, ...extra });
    expect(shape({ async map() {}, async reduce() {}, async mapSetup() {}, async mapCleanup() {}, async reduceCleanup() {} })).toBeUndefined();
    expect(shape({ async combine() {} })).toBe("job 'j': combine must not be async (it returns the combined value to emit and the spills, which cannot wait)");
    expect(shape({ partition: async () => 0 })).toBe("job 'j': partition must not be async (it returns the part of each emitted key inside emit)");
    expect(shape({ async params() {} })).toMatch(/^job 'j': params must not be async/);
  });

  it('a module whose sample is malformed is refused when it is loaded', () => {
    const shape = (sample: unknown) => jobShapeProblem({ name: 'j', map() {}, reduce() {}, sample });
    expect(shape({ lines: 10, plan() {} })).toBeUndefined();
    expect(shape({ lines: 10 })).toMatch(/sample must be \{ lines, plan/);
    expect(shape({ lines: 0, plan() {} })).toMatch(/sample.lines must be a whole number in 1..1000000/);
    expect(shape({ lines: MAX_SAMPLE_LINES + 1, plan() {} })).toMatch(/sample.lines/);
  });

  it('a module whose input or mapSetup is malformed is refused when it is loaded', () => {
    const shape = (extra: Record<string, unknown>) => jobShapeProblem({ name: 'j', map() {}, reduce() {}, ...extra });
    expect(shape({ input: 'bytes', mapSetup() {} })).toBeUndefined();
    expect(shape({ input: 'lines' })).toBeUndefined();
    expect(shape({ input: 'records' })).toBe("job 'j': input must be 'lines' or 'bytes'");
    expect(shape({ mapSetup: 'yes' })).toBe("job 'j': mapSetup is not a function");
  });
});
