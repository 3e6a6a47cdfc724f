import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareUtf8, defaultPartition, RecordReader } from '@mr/shared/core';
import { SortBuffer } from './sort-buffer.js';

const sum = (_k: string, vs: unknown[]) => (vs as number[]).reduce((a, b) => a + b, 0);

function readPartitions(file: string, sizes: number[]): [string, unknown][][] {
  let start = 0;
  return sizes.map((len) => {
    const r = RecordReader.fromFile(file, start, len);
    start += len;
    const out: [string, unknown][] = [];
    while (r.next()) out.push([r.key, r.value]);
    return out;
  });
}

function words(n: number, seed = 1): string[] {
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(['apple', 'Äpfel', 'banana', 'cherry', '😀', 'z', 'date'][x % 7]! + (x % 500));
  }
  return out;
}

describe('map-side sort buffer (design.md step 2): partition, sort, combine, spill, merge', () => {
  it('spilling many runs gives the same output as no spill at all', () => {
    const input = words(50_000);
    const run = (limitBytes: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-'));
      const b = new SortBuffer(4, sum, limitBytes, dir);
      for (const w of input) b.add(defaultPartition(w, 4), w, 1);
      const sizes = b.finish(join(dir, 'out'));
      return { parts: readPartitions(join(dir, 'out'), sizes), spills: b.spills };
    };
    const inMemory = run(1 << 30);
    const spilled = run(16 * 1024);
    expect(inMemory.spills).toBe(0);
    expect(spilled.spills).toBeGreaterThan(10);
    expect(spilled.parts).toEqual(inMemory.parts);
    // sorted by UTF-8 bytes, one record per key (combined), counts add up
    for (const part of inMemory.parts) {
      const keys = part.map(([k]) => k);
      expect(keys).toEqual([...keys].sort(compareUtf8));
      expect(new Set(keys).size).toBe(keys.length);
    }
    const total = inMemory.parts.flat().reduce((a, [, v]) => a + (v as number), 0);
    expect(total).toBe(input.length);
  });

  it('without a combiner every value is kept, grouped by key in sorted order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const b = new SortBuffer(1, undefined, 64, dir); // tiny limit: spills constantly
    const input = words(2_000);
    input.forEach((w, i) => b.add(0, w, i));
    const [part] = readPartitions(join(dir, 'out'), b.finish(join(dir, 'out')));
    expect(part!.length).toBe(input.length);
    expect(part!.map(([k]) => k)).toEqual([...input].sort(compareUtf8));
  });
});

/** Keys that stress the binary sort: long shared prefixes, empty, non-ASCII, differing only past a 4-byte digit, prefixes of each other. */
function hardKeys(n: number, seed = 7): string[] {
  let x = seed;
  const rnd = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % m;
  const shared = 'https://example.com/a/very/long/shared/prefix/'; // past several digits
  const pick = [
    () => '',
    () => shared + rnd(50),
    () => shared + 'x'.repeat(rnd(6)),
    () => 'abcd' + String.fromCharCode(97 + rnd(3)), // equal first digit, differ in the next byte
    () => 'abcd',
    () => 'ab' + '\0'.repeat(rnd(6)), // a prefix of one another, NUL padding must not tie them
    () => 'ab',
    () => ['é', 'Äpfel', 'z', '😀', '\uffff', '\ue000', '東京', 'ß'][rnd(8)]! + rnd(4), // U+FFFF sorts before astral in UTF-8
    () => String(rnd(1000)).padStart(12, '0'), // equal 4-byte digits for a long way
    () => 'k' + rnd(20_000),
  ];
  return Array.from({ length: n }, () => pick[rnd(pick.length)]!());
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('binary sort buffer: a tiny buffer (many spills) writes what a large one does', () => {
  const R = 3;
  const partition = (k: string) => defaultPartition(k, R);
  const run = (input: [string, unknown][], limitBytes: number, combine?: (k: string, vs: unknown[]) => unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const b = new SortBuffer(R, combine, limitBytes, dir);
    let maxMemory = 0;
    for (const [k, v] of input) {
      b.add(partition(k), k, v);
      maxMemory = Math.max(maxMemory, b.memoryBytes);
    }
    const out = join(dir, 'out');
    return { parts: readPartitions(out, b.finish(out)), spills: b.spills, maxMemory };
  };

  it('without a combiner: every record, by partition then UTF-8 key bytes, equal keys in arrival order', () => {
    const input = hardKeys(20_000).map((k, i): [string, unknown] => [k, i % 5 === 0 ? `v${i}` : i]);
    // what the contract says: a stable sort on the key's UTF-8 bytes, within each partition
    const expected = Array.from({ length: R }, (_, p) => input.filter(([k]) => partition(k) === p).sort(([a], [b]) => byBytes(a, b)));
    const big = run(input, 1 << 30);
    expect(big.spills).toBe(0);
    expect(big.parts).toEqual(expected);
    for (const limit of [32 * 1024, 2 * 1024, 768]) {
      const small = run(input, limit);
      expect(small.spills, `limit ${limit}`).toBeGreaterThan(5);
      expect(small.parts, `limit ${limit}`).toEqual(expected);
      // data and index, as allocated: never past the limit (no record here is near it)
      expect(small.maxMemory, `limit ${limit}`).toBeLessThanOrEqual(limit);
    }
  });

  it('with a combiner: one record per key holding the combined values, spilled or not', () => {
    const input = hardKeys(30_000, 11).map((k): [string, unknown] => [k, 1]);
    const counts = new Map<string, number>();
    for (const [k] of input) counts.set(k, (counts.get(k) ?? 0) + 1);
    const expected = Array.from({ length: R }, (_, p) =>
      [...counts].filter(([k]) => partition(k) === p).sort(([a], [b]) => byBytes(a, b)),
    );
    let calls = 0;
    const counting = (k: string, vs: unknown[]) => (calls++, sum(k, vs));
    expect(run(input, 1 << 30, counting).parts).toEqual(expected);
    expect(calls).toBeGreaterThan(0);
    const small = run(input, 8 * 1024, counting);
    expect(small.spills).toBeGreaterThan(5);
    expect(small.parts).toEqual(expected);
  });

  it('with a combiner, keys repeated within the map are folded as they come: no spill for 200,000 records of 10 keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const b = new SortBuffer(2, sum, 64 * 1024, dir);
    for (let i = 0; i < 200_000; i++) b.add(i % 2, `key${i % 10}`, 1);
    const out = join(dir, 'out');
    const parts = readPartitions(out, b.finish(out));
    expect(b.spills).toBe(0);
    expect(parts.flat().sort(([a], [c]) => byBytes(a, c))).toEqual(Array.from({ length: 10 }, (_, k) => [`key${k}`, 20_000]));
    expect(b.combineInput).toBeGreaterThanOrEqual(200_000);
  });

  it('with a combiner, keys that do not repeat stop being held, and equal keys after that are still combined', () => {
    // 40,000 distinct keys first (a job that combined in the mapper), then 10 keys repeated
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const b = new SortBuffer(2, sum, 256 * 1024, dir);
    const input: [string, number][] = [];
    for (let i = 0; i < 40_000; i++) input.push([`once${i}`, 1]);
    for (let i = 0; i < 50_000; i++) input.push([`key${i % 10}`, 2]);
    for (const [k, v] of input) b.add(defaultPartition(k, 2), k, v);
    const out = join(dir, 'out');
    const got = readPartitions(out, b.finish(out));
    const want = new Map<string, number>();
    for (const [k, v] of input) want.set(k, (want.get(k) ?? 0) + v);
    expect(got.flat().sort(([a], [c]) => byBytes(a, c))).toEqual([...want].sort(([a], [c]) => byBytes(a, c)));
    // held, the repeated keys would have cost no buffer bytes; not held, they fill it and spill
    const distinctOnly = new SortBuffer(2, sum, 256 * 1024, dir);
    for (const [k, v] of input.slice(0, 40_000)) distinctOnly.add(defaultPartition(k, 2), k, v);
    distinctOnly.finish(join(dir, 'out2'));
    expect(b.spills).toBeGreaterThan(distinctOnly.spills);
  });

  it('says when it stopped holding; without holding from the start (hold=false) the output is the same, combined when written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const distinct: [string, number][] = Array.from({ length: 5_000 }, (_, i) => [`once${i}`, 1]);
    const repeated: [string, number][] = words(20_000).map((w) => [w, 1]);
    const run = (input: [string, number][], hold: boolean) => {
      const b = new SortBuffer(2, sum, 256 * 1024, dir, hold);
      for (const [k, v] of input) b.add(defaultPartition(k, 2), k, v);
      const out = join(dir, `out-${hold}`);
      return { b, got: readPartitions(out, b.finish(out)) };
    };
    expect(run(distinct, true).b.stoppedHolding).toBe(true);
    expect(run(repeated, true).b.stoppedHolding).toBe(false); // keys repeat: it holds on
    const held = run(repeated, true);
    const notHeld = run(repeated, false);
    expect(notHeld.b.stoppedHolding).toBe(false); // it never held
    expect(notHeld.got).toEqual(held.got);
    expect(notHeld.got.flat().length).toBe(new Set(repeated.map(([k]) => k)).size); // one record per key
  });

  it('keeps values of every type, and a record larger than the whole buffer', () => {
    const huge = 'h'.repeat(100_000) + 'é';
    const input: [string, unknown][] = [
      ['k', 'é'.repeat(100)], // UTF-16 length < 128, UTF-8 length >= 128: a longer varint than guessed
      ['k', '東'.repeat(6000)], // 18,000 bytes: a 3-byte varint
      ['a', { nested: [1, 'two', null] }],
      ['b', [1, 2]],
      ['c', null],
      ['d', true],
      ['e', -0.5],
      ['f', huge],
      [huge, 'a huge key'],
      ['', ''],
    ];
    const expected = Array.from({ length: R }, (_, p) => input.filter(([k]) => partition(k) === p).sort(([a], [b]) => byBytes(a, b)));
    expect(run(input, 1 << 30).parts).toEqual(expected);
    const small = run(input, 1024);
    expect(small.spills).toBeGreaterThan(0);
    expect(small.parts).toEqual(expected);
  });

  it('sorts by partition first: records come in any partition order and each part holds only its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const b = new SortBuffer(4, undefined, 4096, dir);
    const input: [number, string][] = [];
    for (let i = 0; i < 5_000; i++) input.push([(i * 7) % 4, `key${(i * 7919) % 1000}`]);
    for (const [p, k] of input) b.add(p, k, p);
    const out = join(dir, 'out');
    const parts = readPartitions(out, b.finish(out));
    parts.forEach((part, p) => {
      expect(part.length).toBe(input.filter(([q]) => q === p).length);
      expect(part.every(([, v]) => v === p)).toBe(true);
      const keys = part.map(([k]) => k);
      expect(keys).toEqual([...keys].sort(byBytes));
    });
  });
});
