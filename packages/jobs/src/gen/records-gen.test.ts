import { describe, expect, it } from 'vitest';
import { defaultRecordFiles, RECORD_BYTES, RECORDS_FILE_BYTES, RecordsGenerator } from './records-gen.js';

const text = (g: RecordsGenerator, i: number, chunkBytes?: number) => Buffer.concat([...g.chunks(i, chunkBytes)]);
const RECORD = /^[\x21-\x7e]{10} [0-9a-f]{16} [A-Z]{71}$/;

describe('mr gen records: the generator', () => {
  it('every record is one line of exactly 100 bytes: 10-byte printable key, space, its number in 16 hex digits, space, filler', () => {
    const g = new RecordsGenerator({ count: 70_000, files: 1, seed: 3 });
    const all = text(g, 0);
    expect(all.length).toBe(70_000 * RECORD_BYTES);
    const lines = all.toString('latin1').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(70_000);
    const bad = lines.filter((l) => l.length !== 99 || !RECORD.test(l));
    expect(bad.slice(0, 3)).toEqual([]);
    expect(lines.map((l) => parseInt(l.slice(11, 27), 16))).toEqual(lines.map((_, i) => i));
  });

  it('keys are spread over all 94 characters in every position, and almost never repeat', () => {
    const lines = text(new RecordsGenerator({ count: 50_000, files: 1, seed: 9 }), 0).toString('latin1').split('\n').slice(0, -1);
    for (let pos = 0; pos < 10; pos++) {
      const counts = new Map<string, number>();
      for (const l of lines) counts.set(l[pos]!, (counts.get(l[pos]!) ?? 0) + 1);
      expect(counts.size, `position ${pos}`).toBe(94);
      // about 532 each: a uniform draw stays well within a third of that
      expect(Math.min(...counts.values()), `position ${pos}`).toBeGreaterThan(350);
      expect(Math.max(...counts.values()), `position ${pos}`).toBeLessThan(720);
    }
    expect(new Set(lines.map((l) => l.slice(0, 10))).size).toBe(lines.length);
  });

  it('is deterministic: the same seed gives the same bytes whatever the chunk size or --files; another seed differs', () => {
    const count = 150_000; // more than two random streams of 65,536 records
    const one = new RecordsGenerator({ count, files: 1, seed: 42 });
    const whole = text(one, 0);
    // Buffer.equals: vitest's deep equality walks 15 MB byte by byte
    expect(text(new RecordsGenerator({ count, files: 1, seed: 42 }), 0, 777).equals(whole)).toBe(true);
    const three = new RecordsGenerator({ count, files: 3, seed: 42 });
    expect(Buffer.concat([0, 1, 2].map((i) => text(three, i, 100_000))).equals(whole)).toBe(true);
    expect(text(new RecordsGenerator({ count, files: 1, seed: 43 }), 0).subarray(0, 10).equals(whole.subarray(0, 10))).toBe(false);
  });

  it('cuts the records into files of equal record ranges named part-rec-NNNNN; the default is files of about 64 MiB', () => {
    const g = new RecordsGenerator({ count: 10, files: 3, seed: 1 });
    expect([0, 1, 2].map((i) => g.file(i))).toEqual([
      { index: 0, name: 'part-rec-00000', first: 0, count: 3 },
      { index: 1, name: 'part-rec-00001', first: 3, count: 3 },
      { index: 2, name: 'part-rec-00002', first: 6, count: 4 },
    ]);
    expect(text(new RecordsGenerator({ count: 2, files: 4, seed: 1 }), 0).length).toBe(0); // more files than records: some empty
    expect(defaultRecordFiles(0)).toBe(1);
    expect(defaultRecordFiles(1000)).toBe(1);
    expect(defaultRecordFiles(5_000_000)).toBe(8);
    expect(defaultRecordFiles(RECORDS_FILE_BYTES / RECORD_BYTES + 1)).toBe(2);
  });
});
