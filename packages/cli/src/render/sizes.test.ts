import { describe, expect, it } from 'vitest';
import { copyReport, humanSize, mtimeText } from './sizes.js';

describe('sizes, times and reports of mr fs', () => {
  it('-h: bytes below 1 KiB as they are, then powers of 1024 with one decimal', () => {
    expect(humanSize(0)).toBe('0');
    expect(humanSize(1023)).toBe('1023');
    expect(humanSize(1024)).toBe('1.0 K');
    expect(humanSize(1536)).toBe('1.5 K');
    expect(humanSize(1024 * 1024 - 1)).toBe('1.0 M'); // not "1024.0 K"
    expect(humanSize(5 * 1024 ** 3)).toBe('5.0 G');
  });

  it('modification times in local time, minutes; - when unknown', () => {
    const t = new Date(2026, 10, 29, 7, 5, 59).getTime();
    expect(mtimeText(t)).toBe('2026-11-29 07:05');
    expect(mtimeText(undefined)).toBe('-');
  });

  it('the report of a copy: files, bytes, time and rate', () => {
    expect(copyReport('put bs://data', 3, 3 * 1048576, 1500)).toBe('put bs://data: 3 files, 3145728 bytes in 1.5 s (2.0 MiB/s)');
    expect(copyReport('put s3://b/k', 1, 0, 0)).toBe('put s3://b/k: 1 file, 0 bytes in 0.0 s (0.0 MiB/s)');
  });
});
