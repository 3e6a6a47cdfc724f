import { describe, expect, it } from 'vitest';
import { lastLinesStart } from './tail.js';

/** A file in memory, read through ranged reads that are counted. */
function file(text: string) {
  const bytes = Buffer.from(text);
  const f = {
    bytes,
    bytesRead: 0,
    read: async (start: number, end: number) => {
      f.bytesRead += end - start;
      return bytes.subarray(start, end);
    },
  };
  return f;
}

const tail = async (text: string, n: number, chunk = 4) => {
  const f = file(text);
  return f.bytes.subarray(await lastLinesStart(f.bytes.length, n, f.read, chunk)).toString();
};

describe('tail -n: where the last lines start', () => {
  it('equals the last lines, with or without a final line break, across chunk boundaries', async () => {
    expect(await tail('a\nbb\nccc\ndddd\n', 2)).toBe('ccc\ndddd\n');
    expect(await tail('a\nbb\nccc\ndddd', 2)).toBe('ccc\ndddd');
    expect(await tail('a\nbb\n', 5)).toBe('a\nbb\n');
    expect(await tail('one line', 1)).toBe('one line');
    expect(await tail('a\n\n\nb\n', 3)).toBe('\n\nb\n');
    expect(await tail('a\nb\n', 0)).toBe('');
    expect(await tail('', 3)).toBe('');
  });

  it('reads only the end of a big file: the lines asked for and less than one chunk more', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
    const f = file(lines.join('\n') + '\n');
    const start = await lastLinesStart(f.bytes.length, 10, f.read, 1024);
    expect(f.bytes.subarray(start).toString()).toBe(lines.slice(-10).join('\n') + '\n');
    expect(f.bytesRead).toBeLessThanOrEqual(f.bytes.length - start + 1024);
    expect(f.bytesRead).toBeLessThan(f.bytes.length / 100);
  });
});
