import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import { bsPath, deleteObjects, listNames, MrError, objectExists, parseS3, s3Join, wire } from '@mr/shared';
import { blockStoreSession, bsUri, isBs, isS3, localPath, readLocation, writeLocal, writeLocation, type BlockStoreSession } from '../locations.js';
import { intFlag, masterOption, sizeFlag } from '../options.js';
import { byteProgress } from '../render/progress.js';
import { table } from '../render/table.js';
import { writeStdout, type Io } from '../io.js';

type FsEntry = wire.FsEntry;

const context = (cmd: Command): BlockStoreSession => blockStoreSession(() => cmd.optsWithGlobals<{ master?: string }>().master);

function statJson(uri: string, e: FsEntry) {
  if (e.isDir) return { path: uri, type: 'directory' };
  return {
    path: uri, size: e.size, blockSize: e.blockSize, replication: e.replication, liveReplicationTarget: e.liveReplicationTarget,
    blocks: e.blocks.map((b) => ({ id: b.id, offset: b.offset, size: b.size, replicas: b.replicas.map((r) => r.nodeId) })),
  };
}

export function fsCommand(io: Io): Command {
  const fs = new Command('fs')
    .description('files in the cluster block store (bs://), S3 (s3://) and local paths: put, get, cat, ls, stat, rm, mkdir, mv, cp')
    .addOption(masterOption('the master, for bs:// locations'));

  const run = (fn: (ctx: BlockStoreSession, ...args: any[]) => Promise<void>) =>
    async (...args: any[]) => {
      const cmd = args[args.length - 1] as Command;
      const ctx = context(cmd);
      try {
        await fn(ctx, ...args);
      } finally {
        ctx.close();
      }
    };

  fs.command('put')
    .description('copy a local file into the block store or S3 (parents are created; an existing file is refused without --overwrite)')
    .argument('<LOCAL>').argument('<URI>', 'where to: bs:// or s3://')
    .addOption(new Option('--block-size <SIZE>', "block size for this file (default: the master's --block-size, 64m)").argParser(sizeFlag('--block-size')))
    .addOption(new Option('--replication <N>', 'replicas per block (default: min(3, live core workers))').argParser(intFlag('--replication', 1, 16)))
    .option('--overwrite', 'replace an existing file')
    .action(run(async (ctx, local: string, dest: string, o: { blockSize?: number; replication?: number; overwrite?: boolean }) => {
      const src = localPath(local);
      const st = await stat(src).catch(() => undefined);
      if (!st) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `put: ${src} does not exist`);
      if (!st.isFile()) throw new MrError('MR_ERR_USAGE', `put: ${src} is not a file`);
      if (isS3(dest)) return writeLocation(dest, readLocation(ctx, src), { overwrite: o.overwrite === true });
      if (!isBs(dest)) throw new MrError('MR_ERR_USAGE', `put: ${dest} is not a bs:// or s3:// URI (use cp between local paths)`);
      // all that can throw at once comes before the bar, which is then ended on every path
      const path = bsPath(dest);
      const client = ctx.client();
      const bar = byteProgress(`put ${dest}`, st.size);
      const e = await client.put(src, path, { ...(o.blockSize ? { blockSize: o.blockSize } : {}), ...(o.replication ? { replication: o.replication } : {}), overwrite: o.overwrite === true, onProgress: bar.update })
        .finally(bar.done);
      io.err(`put ${dest}: ${e.size} bytes`);
    }));

  fs.command('get')
    .description('copy a block-store or S3 file to a local path (written whole or not at all)')
    .argument('<URI>').argument('<LOCAL>')
    .option('--overwrite', 'replace an existing local file')
    .action(run(async (ctx, src: string, local: string, o: { overwrite?: boolean }) => {
      if (isS3(src)) return writeLocal(readLocation(ctx, src), localPath(local), o.overwrite === true);
      if (!isBs(src)) throw new MrError('MR_ERR_USAGE', `get: ${src} is not a bs:// or s3:// URI`);
      const e = await ctx.client().stat(bsPath(src));
      if (e.isDir) throw new MrError('MR_ERR_FS_IS_DIR', `get: ${src} is a directory`);
      const target = localPath(local);
      const bar = byteProgress(`get ${src}`, e.size);
      let n = 0;
      const body = Readable.from((async function* () {
        for await (const b of ctx.client().read(bsPath(src))) {
          n += b.length;
          bar.update(n);
          yield b;
        }
      })());
      await writeLocal(body, target, o.overwrite === true).finally(bar.done);
    }));

  fs.command('cat')
    .description('print a file (a path, file://, s3:// or bs://) to stdout')
    .argument('<URI>')
    .action(run(async (ctx, uri: string) => {
      for await (const b of readLocation(ctx, uri) as AsyncIterable<Buffer>) {
        if (!(await writeStdout(b))) break; // `mr fs cat ... | head`: the reader has what it wanted
      }
    }));

  fs.command('ls')
    .description('list a directory or prefix (a path, file://, s3:// or bs://)')
    .argument('<URI>')
    .option('-r, --recursive', 'everything under it')
    .option('--json', 'print JSON on stdout')
    .action(run(async (ctx, uri: string, o: { recursive?: boolean; json?: boolean }) => {
      let rows: { path: string; type: string; size: number; replication: number }[];
      if (isBs(uri)) {
        const entries = await ctx.client().list(bsPath(uri), o.recursive === true);
        rows = entries.map((e) => ({ path: bsUri(e.path), type: e.isDir ? 'dir' : 'file', size: e.size, replication: e.replication }));
      } else if (isS3(uri)) {
        const { bucket, key } = parseS3(uri);
        const all = await listNames(bucket, key);
        const direct = new Map<string, { path: string; type: string; size: number; replication: number }>();
        for (const obj of all) {
          const rel = obj.key.slice(key === '' ? 0 : key.length + 1);
          const cut = o.recursive ? -1 : rel.indexOf('/');
          const name = cut < 0 ? rel : rel.slice(0, cut);
          const path = `s3://${bucket}/${s3Join(key, name)}`;
          if (!direct.has(path)) direct.set(path, { path, type: cut < 0 ? 'file' : 'dir', size: cut < 0 ? obj.size : 0, replication: 0 });
        }
        rows = [...direct.values()];
      } else {
        const dir = localPath(uri);
        const names = await readdir(dir, { withFileTypes: true, recursive: o.recursive === true }).catch(() => {
          throw new MrError('MR_ERR_INPUT_NOT_FOUND', `ls: ${dir} does not exist`);
        });
        rows = await Promise.all(names.map(async (d) => {
          const p = join(d.parentPath, d.name);
          return { path: p, type: d.isDirectory() ? 'dir' : 'file', size: d.isDirectory() ? 0 : (await stat(p)).size, replication: 0 };
        }));
      }
      if (o.json) return io.out(JSON.stringify(rows));
      io.out(table(['TYPE', 'SIZE', 'REPL', 'PATH'], rows.map((r) => [r.type, String(r.size), r.type === 'file' && r.replication ? String(r.replication) : '-', r.path])));
    }));

  fs.command('stat')
    .description('size, blocks and replicas of a block-store file (of a local path: its size and type)')
    .argument('<URI>')
    .option('--json', 'print JSON on stdout')
    .action(run(async (ctx, uri: string, o: { json?: boolean }) => {
      if (!isBs(uri)) {
        const st = await stat(localPath(uri)).catch(() => {
          throw new MrError('MR_ERR_INPUT_NOT_FOUND', `stat: ${localPath(uri)} does not exist`);
        });
        return io.out(JSON.stringify({ path: localPath(uri), size: st.size, type: st.isDirectory() ? 'directory' : 'file' }));
      }
      const e = await ctx.client().stat(bsPath(uri));
      if (o.json) return io.out(JSON.stringify(statJson(uri, e)));
      if (e.isDir) return io.out(`${uri}: directory`);
      const capped = e.liveReplicationTarget < e.replication ? ` (only ${e.liveReplicationTarget} live core workers: blocks are kept at ${e.liveReplicationTarget})` : '';
      io.out(`${uri}: ${e.size} bytes, ${e.blocks.length} blocks of ${e.blockSize}, replication ${e.replication}${capped}`);
      io.out(table(['BLOCK', 'OFFSET', 'SIZE', 'REPLICAS'], e.blocks.map((b) => [b.id, String(b.offset), String(b.size), b.replicas.map((r) => r.nodeId).join(',')])));
    }));

  fs.command('rm')
    .description('remove a file or (with -r) a directory')
    .argument('<URI>')
    .option('-r, --recursive', 'a directory and everything under it')
    .action(run(async (ctx, uri: string, o: { recursive?: boolean }) => {
      if (isBs(uri)) return ctx.client().delete(bsPath(uri), o.recursive === true);
      if (isS3(uri)) {
        const { bucket, key } = parseS3(uri);
        const keys = (await listNames(bucket, key)).map((x) => x.key);
        if (await objectExists(bucket, key)) return deleteObjects(bucket, [key]);
        if (keys.length === 0) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `rm: ${uri} does not exist`);
        if (!o.recursive) throw new MrError('MR_ERR_FS_NOT_EMPTY', `rm: ${uri} is a prefix (use -r)`);
        return deleteObjects(bucket, keys);
      }
      const p = localPath(uri);
      const st = await stat(p).catch(() => {
        throw new MrError('MR_ERR_INPUT_NOT_FOUND', `rm: ${p} does not exist`);
      });
      if (st.isDirectory() && !o.recursive) throw new MrError('MR_ERR_FS_NOT_EMPTY', `rm: ${p} is a directory (use -r)`);
      await rm(p, { recursive: true });
    }));

  fs.command('mkdir')
    .description('create a directory and its parents')
    .argument('<URI>')
    .action(run(async (ctx, uri: string) => {
      if (isBs(uri)) await ctx.client().mkdir(bsPath(uri));
      else await mkdir(localPath(uri), { recursive: true });
    }));

  fs.command('mv')
    .description('rename within one store (atomic in the block store)')
    .argument('<SRC>').argument('<DST>')
    .action(run(async (ctx, src: string, dst: string) => {
      if (isBs(src) !== isBs(dst)) throw new MrError('MR_ERR_USAGE', 'mv: both locations must be in the same store (use cp, then rm)');
      if (isBs(src)) await ctx.client().rename(bsPath(src), bsPath(dst));
      else await rename(localPath(src), localPath(dst));
    }));

  fs.command('cp')
    .description('copy a file between any two locations (a path, file://, s3:// or bs://), streaming')
    .argument('<SRC>').argument('<DST>')
    .option('--overwrite', 'replace an existing destination')
    .addOption(new Option('--block-size <SIZE>', "block size when writing to bs:// (default: the master's --block-size, 64m)").argParser(sizeFlag('--block-size')))
    .action(run(async (ctx, src: string, dst: string, o: { overwrite?: boolean; blockSize?: number }) => {
      if (isBs(src)) {
        const e = await ctx.client().stat(bsPath(src));
        if (e.isDir) throw new MrError('MR_ERR_FS_IS_DIR', `cp: ${src} is a directory`);
      } else if (isS3(src)) {
        const { bucket, key } = parseS3(src);
        if (!(await objectExists(bucket, key))) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `cp: ${src} does not exist`);
      } else if (!(await stat(localPath(src)).then((s) => s.isFile(), () => false))) {
        throw new MrError('MR_ERR_INPUT_NOT_FOUND', `cp: ${localPath(src)} is not a file`);
      }
      await writeLocation(dst, readLocation(ctx, src), { overwrite: o.overwrite === true, bs: ctx, ...(o.blockSize ? { blockSize: o.blockSize } : {}) });
    }));
  return fs;
}
