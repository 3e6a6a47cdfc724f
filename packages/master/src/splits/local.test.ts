import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutSplits, listInputFiles } from './local.js';

describe('input listing and splits (contract.md "URIs", design.md step 1)', () => {
  it('a directory means every file under it, recursively, in path order, skipping _ and . names', async () => {
    const d = mkdtempSync(join(tmpdir(), 'in-'));
    mkdirSync(join(d, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(d, '_logs'));
    for (const f of ['b.txt', 'a.txt', 'sub/c.txt', 'sub/deeper/d.txt', '_SUCCESS', '.hidden', '_logs/x.txt', 'sub/.tmp']) writeFileSync(join(d, f), 'x\n');
    const files = await listInputFiles([d, `file://${join(d, 'a.txt')}`]);
    expect(files.map((f) => f.path.slice(d.length + 1))).toEqual(['a.txt', 'b.txt', 'sub/c.txt', 'sub/deeper/d.txt', 'a.txt']);
  });

  it('a missing input is an error that names it', async () => {
    await expect(listInputFiles(['/definitely/not/here'])).rejects.toThrow('input not found: /definitely/not/here');
  });

  it('cuts files at split-size boundaries; .gz and empty files are one split each', () => {
    const splits = cutSplits([{ path: '/a', size: 25 }, { path: '/b.gz', size: 100 }, { path: '/c', size: 0 }, { path: '/d', size: 10 }], 10);
    expect(splits).toEqual([
      { uri: '/a', start: 0, length: 10 }, { uri: '/a', start: 10, length: 10 }, { uri: '/a', start: 20, length: 5 },
      { uri: '/b.gz', start: 0, length: 100 }, { uri: '/c', start: 0, length: 0 }, { uri: '/d', start: 0, length: 10 },
    ]);
  });
});
