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
