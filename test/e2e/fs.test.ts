/**
 * `mr fs` as users of `hdfs dfs` and `aws s3` expect it (issue 14, item 12), on the three stores alike:
 * a local directory, s3:// (s3rver) and bs:// (a master and a core worker), each holding the same
 * tree. Every answer is checked against what the local file system holds, computed here on its own.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { reapAll, tempDir } from './helpers/procs.js';
import { startS3, type TestS3 } from './helpers/s3rver.js';

/** The tree every store holds: nested directories, an empty one, hidden names, text and binary files. */
const LINES = Array.from({ length: 9000 }, (_, i) => `line ${i} of the long file`);
const TREE: Record<string, Buffer> = {
  'a.txt': Buffer.from('alpha\nbeta\ngamma\n'),
  'b.txt': Buffer.from(Array.from({ length: 300 }, (_, i) => `b-line ${i}`).join('\n')), // no final line break
  '_SUCCESS': Buffer.alloc(0),
  '.hidden': Buffer.from('h\n'),
  'd1/c.bin': randomBytes(5000),
  'd1/d2/e.txt': Buffer.from(LINES.join('\n') + '\n'), // past a 64 KiB chunk: tail reads backwards across chunks
  'd1/d2/f.bin': randomBytes(70_000),
};
const EMPTY_DIRS = ['empty'];
const sizeOf = (rels: string[]) => rels.reduce((n, r) => n + TREE[r]!.length, 0);
const ALL_FILES = Object.keys(TREE).sort();
const TOTAL = sizeOf(ALL_FILES);

function writeTree(dir: string): void {
  for (const [rel, bytes] of Object.entries(TREE)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), bytes);
  }
  for (const d of EMPTY_DIRS) mkdirSync(join(dir, d), { recursive: true });
}

/** A local directory as relative path -> bytes for files, and its directories. */
function snapshot(dir: string): { files: Map<string, Buffer>; dirs: string[] } {
  const files = new Map<string, Buffer>();
  const dirs: string[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = join(e.parentPath, e.name).slice(dir.length + 1);
    if (e.isDirectory()) dirs.push(rel);
    else files.set(rel, readFileSync(join(dir, rel)));
  }
  return { files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))), dirs: dirs.sort() };
}

const REPORT = (what: string, files: number, bytes: number) =>
  new RegExp(`^${what.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${files} ${files === 1 ? 'file' : 'files'}, ${bytes} bytes in \\d+\\.\\d s \\(\\d+\\.\\d MiB/s\\)\\n$`);

interface LsRow { path: string; type: string; size: number; replication: number; mtime: string | null }

describe('mr fs on local paths, s3:// and bs:// (issue 14 item 12)', () => {
  let s3: TestS3;
  const c = new TestCluster();
  const local = join(c.dir, 'tree');
  /** Where each store holds the tree (filled by the first test: put -r). */
  const bases: Record<string, string> = { local, s3: 's3://fs/tree', bs: 'bs://t/tree' };
  const stores = ['local', 's3', 'bs'] as const;
  let putWindow = { from: 0, to: 0 };
  const fs = (...args: string[]) => c.mr(['fs', ...args]);
  const ok = async (...args: string[]) => {
    const r = await fs(...args);
    expect(r.code, `mr fs ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const lsJson = async (...args: string[]) => JSON.parse((await ok('ls', '--json', ...args)).stdout) as LsRow[];

  beforeAll(async () => {
    writeTree(local);
    s3 = await startS3(['fs']);
    Object.assign(c.env, s3.env);
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    await c.waitAlive(['core-1']);
  });
  afterAll(async () => {
    await reapAll();
    s3?.stop();
  });

  it('put -r and get -r: the tree goes to s3:// and bs:// and comes back byte for byte; each ends with the same report', async () => {
    putWindow.from = Date.now();
    for (const store of ['s3', 'bs'] as const) {
      const put = await ok('put', '-r', local, bases[store]!);
      expect(put.stderr).toMatch(REPORT(`put ${bases[store]}`, ALL_FILES.length, TOTAL));
    }
    putWindow.to = Date.now();
    for (const store of ['s3', 'bs'] as const) {
      const back = join(tempDir(), 'back', store); // parents are created
      const get = await ok('get', '-r', bases[store]!, back);
      expect(get.stderr).toMatch(REPORT(`get ${bases[store]}`, ALL_FILES.length, TOTAL));
      const got = snapshot(back);
      expect(got.files).toEqual(snapshot(local).files);
      // the block store keeps empty directories; S3 has no directories, only keys
      expect(got.dirs).toEqual(store === 'bs' ? snapshot(local).dirs : ['d1', 'd1/d2']);
    }
  });

  it('put and get of one file report the same way for s3:// and bs://', async () => {
    const one = join(tempDir(), 'one.txt');
    writeFileSync(one, 'x'.repeat(3000));
    for (const dest of ['s3://fs/single/one.txt', 'bs://single/one.txt']) {
      expect((await ok('put', one, dest)).stderr).toMatch(REPORT(`put ${dest}`, 1, 3000));
      const back = join(tempDir(), 'one.txt');
      expect((await ok('get', dest, back)).stderr).toMatch(REPORT(`get ${dest}`, 1, 3000));
      expect(readFileSync(back, 'utf8')).toBe('x'.repeat(3000));
    }
  });

  it('put -r onto existing files is refused before anything is written, unless --overwrite; a directory needs -r', async () => {
    const changed = join(tempDir(), 'changed');
    writeTree(changed);
    writeFileSync(join(changed, 'a.txt'), 'changed\n');
    writeFileSync(join(changed, 'new.txt'), 'new\n');
    for (const dest of ['s3://fs/ow', 'bs://ow']) {
      await ok('put', '-r', local, dest);
      const before = await lsJson('-r', dest);
      const refused = await fs('put', '-r', changed, dest);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`mr: put: ${dest}/.hidden already exists (use --overwrite)\n`);
      expect(await lsJson('-r', dest)).toEqual(before); // new.txt was not written either
      await ok('put', '-r', '--overwrite', changed, dest);
      expect((await ok('cat', `${dest}/a.txt`)).stdout).toBe('changed\n');
      expect((await ok('cat', `${dest}/new.txt`)).stdout).toBe('new\n');
      const noR = await fs('put', local, `${dest}/again`);
      expect(noR.code).toBe(2);
      expect(noR.stderr).toBe(`mr: put: ${local} is a directory (use -r)\n`);
      const getNoR = await fs('get', dest, join(tempDir(), 'x'));
      expect(getNoR.code).toBe(2);
      expect(getNoR.stderr).toBe(`mr: get: ${dest} is a directory (use -r)\n`);
    }
    // get -r onto a local tree that holds one of the files: refused, nothing written
    const target = tempDir();
    writeFileSync(join(target, 'a.txt'), 'mine\n');
    const refused = await fs('get', '-r', 'bs://t/tree', target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`mr: get: ${join(target, 'a.txt')} already exists (use --overwrite)\n`);
    expect(readdirSync(target)).toEqual(['a.txt']);
  });

  for (const store of stores) {
    describe(`${store}`, () => {
      const base = () => bases[store]!;

      it('ls: type, size, replication and mtime of each entry, as the local tree has them; -r, -d, -h', async () => {
        const rows = await lsJson(base());
        expect(rows.map((r) => [r.path, r.type, r.size])).toEqual([
          ...['.hidden', '_SUCCESS', 'a.txt', 'b.txt'].map((n) => [`${base()}/${n}`, 'file', TREE[n]!.length]),
          [`${base()}/d1`, 'dir', 0],
          ...(store === 's3' ? [] : [[`${base()}/empty`, 'dir', 0]]),
        ]);
        for (const r of rows.filter((x) => x.type === 'file')) {
          expect(r.replication).toBe(store === 'bs' ? 3 : 0); // the file's own (hdfs shows the same), kept at 1 with one core worker
          const t = Date.parse(r.mtime!);
          if (store === 'local') expect(t).toBe(statSync(r.path).mtimeMs - (statSync(r.path).mtimeMs % 1));
          else expect(t >= putWindow.from - 1000 && t <= putWindow.to + 1000, `${r.path} mtime ${r.mtime}`).toBe(true);
        }
        // an S3 prefix is no object: it has no time; a directory elsewhere has one
        expect(rows.find((r) => r.path === `${base()}/d1`)!.mtime === null).toBe(store === 's3');
        const all = await lsJson('-r', base());
        expect(all.filter((r) => r.type === 'file').map((r) => r.path)).toEqual(ALL_FILES.map((f) => `${base()}/${f}`).sort());
        expect((await lsJson('-d', base())).map((r) => [r.path.replace(/\/$/, ''), r.type])).toEqual([[base(), 'dir']]);
        const { mtime: _, ...a } = rows.find((r) => r.path === `${base()}/a.txt`)!;
        expect(await lsJson(`${base()}/a.txt`)).toEqual([expect.objectContaining(a)]);
        const text = (await ok('ls', '-h', base())).stdout.split('\n');
        expect(text[0]).toMatch(/^TYPE +SIZE +REPL +MODIFIED +PATH$/);
        const b = text.find((l) => l.endsWith('/b.txt'))!;
        const kib = `${(TREE['b.txt']!.length / 1024).toFixed(1)} K`;
        expect(b).toMatch(new RegExp(`^file +${kib.replace('.', '\\.')} +${store === 'bs' ? '3' : '-'} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +${base().replace(/[/.]/g, '\\$&')}/b\\.txt$`));
        if (store !== 'bs') { // bs:// has its own stat, with blocks (blockstore.test.ts)
          expect(JSON.parse((await ok('stat', `${base()}/b.txt`)).stdout)).toEqual({ path: `${base()}/b.txt`, size: TREE['b.txt']!.length, type: 'file' });
        }
        const missing = await fs('ls', `${base()}/nope`);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toBe(`mr: ls: ${base()}/nope does not exist\n`);
      });

      it('globs in ls and cat: *, ?, [..], **; a glob that matches nothing is a one-line error', async () => {
        const paths = async (pattern: string, ...flags: string[]) => (await lsJson(...flags, `${base()}/${pattern}`)).map((r) => r.path.slice(base().length + 1));
        expect(await paths('*.txt')).toEqual(['a.txt', 'b.txt']);
        expect(await paths('?.txt')).toEqual(['a.txt', 'b.txt']);
        expect(await paths('[ab].txt')).toEqual(['a.txt', 'b.txt']);
        expect(await paths('[!a]*.txt')).toEqual(['b.txt']);
        expect(await paths('**/*.bin')).toEqual(['d1/c.bin', 'd1/d2/f.bin']);
        expect(await paths('d1/*/e.*')).toEqual(['d1/d2/e.txt']);
        expect(await paths('*', '-d')).toEqual(['.hidden', '_SUCCESS', 'a.txt', 'b.txt', 'd1', ...(store === 's3' ? [] : ['empty'])]);
        // a directory matched without -d is listed by its contents, as `hdfs dfs -ls` does
        expect(await paths('d?')).toEqual(['d1/c.bin', 'd1/d2']);
        const cat = await ok('cat', `${base()}/**/*.txt`);
        expect(cat.stdout).toBe(['a.txt', 'b.txt', 'd1/d2/e.txt'].map((f) => TREE[f]!.toString()).join(''));
        expect((await ok('cat', `${base()}/a.txt`, `${base()}/?.txt`)).stdout).toBe(`${TREE['a.txt']}${TREE['a.txt']}${TREE['b.txt']}`);
        for (const verb of ['ls', 'cat', 'rm', 'du']) {
          const none = await fs(verb, `${base()}/*.nope`);
          expect(none.code, verb).toBe(1);
          expect(none.stderr).toBe(`mr: ${verb}: ${base()}/*.nope matches nothing\n`);
        }
      });

      it('rm with globs: only what matches goes; a matched directory needs -r, and then nothing goes without it', async () => {
        const copy = store === 'local' ? join(tempDir(), 'rm-copy') : `${base()}-rm`;
        if (store === 'local') cpSync(local, copy, { recursive: true });
        else await ok('put', '-r', local, copy);
        const left = async () => (await lsJson('-r', copy)).filter((r) => r.type === 'file').map((r) => r.path.slice(copy.length + 1));
        await ok('rm', `${copy}/*.txt`);
        expect(await left()).toEqual(ALL_FILES.filter((f) => !['a.txt', 'b.txt'].includes(f)));
        const dirs = await fs('rm', `${copy}/[d_]*`);
        expect(dirs.code).toBe(1);
        expect(dirs.stderr).toBe(`mr: rm: ${copy}/d1 (matched by ${copy}/[d_]*) is a directory (use -r); nothing removed\n`);
        expect(await left()).toEqual(ALL_FILES.filter((f) => !['a.txt', 'b.txt'].includes(f)));
        await ok('rm', '-r', `${copy}/[d_]*`);
        expect(await left()).toEqual(['.hidden']);
        await ok('rm', '-r', `${copy}/**`);
        // a directory stays, empty; an S3 prefix with no keys left is no more
        if (store === 's3') expect((await fs('ls', copy)).stderr).toBe(`mr: ls: ${copy} does not exist\n`);
        else expect(await lsJson(copy)).toEqual([]);
      });

      it('du: bytes per entry and their total, -s, -h, --json, as the local tree adds up', async () => {
        const under = (prefix: string) => ALL_FILES.filter((f) => f === prefix || f.startsWith(`${prefix}/`));
        const entries = ['.hidden', '_SUCCESS', 'a.txt', 'b.txt', 'd1', ...(store === 's3' ? [] : ['empty'])];
        const du = JSON.parse((await ok('du', '--json', base())).stdout) as { entries: { path: string; size: number; files: number }[]; total: { size: number; files: number } };
        expect(du.entries.map((e) => [e.path, e.size, e.files])).toEqual(entries.map((n) => [`${base()}/${n}`, sizeOf(under(n)), under(n).length]));
        expect(du.total).toEqual({ size: TOTAL, files: ALL_FILES.length });
        const text = (await ok('du', base())).stdout.trimEnd().split('\n').map((l) => l.trim().split(/ {2,}/));
        expect(text).toEqual([...entries.map((n) => [String(sizeOf(under(n))), `${base()}/${n}`]), [String(TOTAL), 'total']]);
        const s = (await ok('du', '-s', base(), `${base()}/d1/*`)).stdout.trimEnd().split('\n').map((l) => l.trim().split(/ {2,}/));
        const d1 = sizeOf(under('d1'));
        expect(s).toEqual([[String(TOTAL), base()], [String(TREE['d1/c.bin']!.length), `${base()}/d1/c.bin`], [String(sizeOf(under('d1/d2'))), `${base()}/d1/d2`], [String(TOTAL + d1), 'total']]);
        const human = (await ok('du', '-s', '-h', base())).stdout.trimEnd().split('\n').map((l) => l.trim().split(/ {2,}/));
        expect(human).toEqual([[`${(TOTAL / 1024).toFixed(1)} K`, base()], [`${(TOTAL / 1024).toFixed(1)} K`, 'total']]);
      });

      it('tail: the last KiB by default, -n LINES, as computed from the file', async () => {
        const e = TREE['d1/d2/e.txt']!;
        expect((await ok('tail', `${base()}/d1/d2/e.txt`)).stdout).toBe(e.subarray(e.length - 1024).toString());
        expect((await ok('tail', '-n', '5', `${base()}/d1/d2/e.txt`)).stdout).toBe(LINES.slice(-5).join('\n') + '\n');
        // more lines than a 64 KiB chunk holds: the backwards reads join up
        expect((await ok('tail', '-n', '4000', `${base()}/d1/d2/e.txt`)).stdout).toBe(LINES.slice(-4000).join('\n') + '\n');
        expect((await ok('tail', '-n', '20000', `${base()}/d1/d2/e.txt`)).stdout).toBe(e.toString());
        const b = TREE['b.txt']!.toString();
        expect((await ok('tail', '-n', '2', `${base()}/b.txt`)).stdout).toBe(b.split('\n').slice(-2).join('\n'));
        expect((await ok('tail', `${base()}/a.txt`)).stdout).toBe(TREE['a.txt']!.toString()); // shorter than a KiB: all of it
        const dir = await fs('tail', `${base()}/d1`);
        expect(dir.code).toBe(1);
        expect(dir.stderr).toBe(`mr: tail: ${base()}/d1 is a directory\n`);
      });

      it('getmerge: a directory\'s own files sorted by name (no _ or . names) into one local file; --nl; a glob', async () => {
        const out = join(tempDir(), 'merged.txt');
        const r = await ok('getmerge', base(), out);
        expect(readFileSync(out)).toEqual(Buffer.concat([TREE['a.txt']!, TREE['b.txt']!]));
        expect(r.stderr).toMatch(REPORT(`getmerge ${out}`, 2, sizeOf(['a.txt', 'b.txt'])));
        const nl = join(tempDir(), 'nl.txt');
        await ok('getmerge', '--nl', base(), nl);
        expect(readFileSync(nl, 'utf8')).toBe(`${TREE['a.txt']}\n${TREE['b.txt']}`);
        const globbed = join(tempDir(), 'glob.bin');
        await ok('getmerge', `${base()}/**/*.bin`, globbed);
        expect(readFileSync(globbed)).toEqual(Buffer.concat([TREE['d1/c.bin']!, TREE['d1/d2/f.bin']!]));
        const again = await fs('getmerge', base(), out);
        expect(again.code).toBe(1);
        expect(again.stderr).toBe(`mr: ${out} already exists (use --overwrite)\n`);
        await ok('getmerge', '--overwrite', `${base()}/d1/d2`, out);
        expect(readFileSync(out)).toEqual(Buffer.concat([TREE['d1/d2/e.txt']!, TREE['d1/d2/f.bin']!]));
        const none = await fs('getmerge', `${base()}/empty`, join(tempDir(), 'none'));
        expect(none.code).toBe(1);
        // S3 keeps no empty directory: there is nothing at all
        expect(none.stderr).toBe(`mr: getmerge: ${base()}/empty ${store === 's3' ? 'does not exist' : 'holds no file to merge'}\n`);
      });
    });
  }

  it('mkdir on s3:// is refused (S3 has no directories), not a success that creates nothing', async () => {
    const r = await fs('mkdir', 's3://fs/newdir');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('mr: mkdir: s3://fs/newdir: S3 has no directories (a prefix exists once it holds a key)\n');
  });

  it('getmerge is whole or not at all: a file that cannot be read half way leaves no output and no temporary file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a'), 'first\n');
    writeFileSync(join(dir, 'b'), 'second\n');
    symlinkSync(join(dir, 'gone'), join(dir, 'c')); // listed, but reading it fails after a and b are written
    const target = tempDir();
    const r = await fs('getmerge', dir, join(target, 'merged'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mr: ${join(dir, 'c')} does not exist\n`);
    expect(existsSync(join(target, 'merged'))).toBe(false);
    expect(readdirSync(target)).toEqual([]);
  });
});
