import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutSplits, listInputFiles, type SkippedEntry } from './local.js';

describe('input listing and splits (contract.md "URIs", design.md step 1)', () => {
  it('a directory means every file under it, recursively, in path order, skipping _ and . names', async () => {
    const d = mkdtempSync(join(tmpdir(), 'in-'));
    mkdirSync(join(d, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(d, '_logs'));
    for (const f of ['b.txt', 'a.txt', 'sub/c.txt', 'sub/deeper/d.txt', '_SUCCESS', '.hidden', '_logs/x.txt', 'sub/.tmp']) writeFileSync(join(d, f), 'x\n');
    const files = await listInputFiles([d, `file://${join(d, 'a.txt')}`]);
    expect(files.map((f) => f.path.slice(d.length + 1))).toEqual(['a.txt', 'b.txt', 'sub/c.txt', 'sub/deeper/d.txt', 'a.txt']);
  });

  it('follows symbolic links to files and directories, as Hadoop\'s local file system does', async () => {
    const d = mkdtempSync(join(tmpdir(), 'in-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'elsewhere-'));
    writeFileSync(join(elsewhere, 'one.txt'), 'one\n');
    writeFileSync(join(elsewhere, 'two.txt'), 'two two\n');
    mkdirSync(join(elsewhere, 'dir'));
    writeFileSync(join(elsewhere, 'dir', 'three.txt'), '3\n');
    mkdirSync(join(d, 'in'));
    writeFileSync(join(d, 'in', 'plain.txt'), 'plain\n');
    symlinkSync(join(elsewhere, 'one.txt'), join(d, 'in', 'link-one.txt'));
    symlinkSync(join(elsewhere, 'two.txt'), join(d, 'in', 'link-two.txt'));
    symlinkSync(join(elsewhere, 'dir'), join(d, 'in', 'link-dir'));
    const files = await listInputFiles([join(d, 'in')]);
    expect(files.map((f) => [f.path.slice(d.length + 4), f.size])).toEqual([
      ['link-dir/three.txt', 2], ['link-one.txt', 4], ['link-two.txt', 8], ['plain.txt', 6],
    ]);
  });

  it('skips broken links, loops and special files, and says which', async () => {
    const d = mkdtempSync(join(tmpdir(), 'in-'));
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub', 'a.txt'), 'a\n');
    symlinkSync(join(d, 'nowhere'), join(d, 'broken'));
    symlinkSync(d, join(d, 'sub', 'loop'));
    execFileSync('mkfifo', [join(d, 'fifo')]);
    const skipped: SkippedEntry[] = [];
    const files = await listInputFiles([d], skipped);
    expect(files.map((f) => f.path.slice(d.length + 1))).toEqual(['sub/a.txt']);
    expect(skipped.map((s) => [s.path.slice(d.length + 1), s.why.split(' (')[0]])).toEqual([
      ['broken', 'a broken symbolic link'], ['fifo', 'neither a file nor a directory'], ['sub/loop', 'a symbolic link loop'],
    ]);
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
