import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import {
  BlockStoreClient, bsPath, completeUpload, deleteObjects, listNames, masterClient, MrError, objectExists, parseS3, parseUri, readObject,
  requireClusterToken, s3Join, uploadPending, wire,
} from '@mr/shared';
import { intFlag, masterAddress, sizeFlag } from '../options.js';
import { table } from '../render/table.js';
import type { Io } from '../io.js';

type FsEntry = wire.FsEntry;

interface FsCtx {
  client(): BlockStoreClient;
  close(): void;
}

function context(cmd: Command): FsCtx {
  let master: wire.MasterClient | undefined;
  let client: BlockStoreClient | undefined;
  return {
    client() {
      if (!client) {
        const o = cmd.optsWithGlobals<{ master?: string }>();
        const token = requireClusterToken();
        master = masterClient(masterAddress(o.master), token);
        client = new BlockStoreClient(master, token);
      }
      return client;
    },
    close() {
      client?.close();
      master?.close();
    },
  };
}

const isBs = (uri: string) => uri.startsWith('bs://');
const isS3 = (uri: string) => uri.startsWith('s3://');

/** Writes a stream to an S3 key whole or not at all (a multipart upload completed at the end). */
async function writeS3(source: Readable, uri: string, overwrite: boolean): Promise<void> {
  const { bucket, key } = parseS3(uri);
  if (!overwrite && (await objectExists(bucket, key))) throw new MrError('MR_ERR_FS_EXISTS', `${uri} already exists (use --overwrite)`);
  await completeUpload(await uploadPending(source, bucket, key));
}
const bsUri = (path: string) => `bs://${path.replace(/^\//, '')}`;

function localPath(uri: string): string {
  const loc = parseUri(uri);
  if (loc.scheme !== 'file') throw new MrError('MR_ERR_USAGE', `${uri}: expected a local path here`);
  return loc.path;
}

/** The bytes of any readable location (bs:// or a local file) as a stream. */
function readable(ctx: FsCtx, uri: string): Readable {
  if (isBs(uri)) return Readable.from(ctx.client().read(bsPath(uri)));
  if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    return Readable.from((async function* () {
      yield* (await readObject(bucket, key)) as AsyncIterable<Buffer>;
    })());
  }
  return Readable.from((async function* () {
    const { createReadStream } = await import('node:fs');
    yield* createReadStream(localPath(uri), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  })());
}

/** Writes a local file whole or not at all: a temporary name, renamed when complete. */
async function writeLocal(source: Readable, dest: string, overwrite: boolean): Promise<void> {
  const exists = await stat(dest).then(() => true, () => false);
  if (exists && !overwrite) throw new MrError('MR_ERR_FS_EXISTS', `${dest} already exists (use --overwrite)`);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.mr-tmp-${process.pid}`;
  try {
    await pipeline(source, createWriteStream(tmp));
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

function progress(io: Io, label: string, total: number | undefined) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    update(bytes: number) {
      if (!tty || Date.now() - last < 200) return;
      last = Date.now();
      const pct = total ? ` ${Math.floor((100 * bytes) / total)}%` : '';
      process.stderr.write(`\r\x1b[K${label}: ${(bytes / 1048576).toFixed(1)} MiB${pct}`);
    },
    done() {
      if (tty && last > 0) process.stderr.write('\r\x1b[K');
    },
  };
}

function statJson(uri: string, e: FsEntry) {
  if (e.isDir) return { path: uri, type: 'directory' };
  return {
    path: uri, size: e.size, blockSize: e.blockSize, replication: e.replication, liveReplicationTarget: e.liveReplicationTarget,
    blocks: e.blocks.map((b) => ({ id: b.id, offset: b.offset, size: b.size, replicas: b.replicas.map((r) => r.nodeId) })),
  };
}

export function fsCommand(io: Io): Command {
  const fs = new Command('fs')
    .description('the cluster block store (bs://) and local files: put, get, cat, ls, stat, rm, mkdir, mv, cp')
    .option('--master <HOST:PORT>', 'the master (default: MR_MASTER, or the local master)');

  const run = (fn: (ctx: FsCtx, ...args: any[]) => Promise<void>) =>
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
    .description('copy a local file into the block store (parents are created; an existing file is refused)')
    .argument('<LOCAL>').argument('<BS_URI>')
    .addOption(new Option('--block-size <SIZE>', "block size for this file (default: the master's --block-size, 64m)").argParser(sizeFlag('--block-size')))
    .addOption(new Option('--replication <N>', 'replicas per block (default: min(3, live core workers))').argParser(intFlag('--replication', 1, 16)))
    .option('--overwrite', 'replace an existing file')
    .action(run(async (ctx, local: string, dest: string, o: { blockSize?: number; replication?: number; overwrite?: boolean }) => {
      const src = localPath(local);
      const st = await stat(src).catch(() => undefined);
      if (!st) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `put: ${src} does not exist`);
      if (!st.isFile()) throw new MrError('MR_ERR_USAGE', `put: ${src} is not a file`);
      if (isS3(dest)) return writeS3(readable(ctx, src), dest, o.overwrite === true);
      if (!isBs(dest)) throw new MrError('MR_ERR_USAGE', `put: ${dest} is not a bs:// or s3:// URI (use cp between local paths)`);
      const bar = progress(io, `put ${dest}`, st.size);
      const e = await ctx.client().put(src, bsPath(dest), { ...(o.blockSize ? { blockSize: o.blockSize } : {}), ...(o.replication ? { replication: o.replication } : {}), overwrite: o.overwrite === true, onProgress: bar.update });
      bar.done();
      io.err(`put ${dest}: ${e.size} bytes`);
    }));

  fs.command('get')
    .description('copy a block-store (or S3) file to a local path (written whole or not at all)')
    .argument('<URI>').argument('<LOCAL>')
    .option('--overwrite', 'replace an existing local file')
    .action(run(async (ctx, src: string, local: string, o: { overwrite?: boolean }) => {
      if (isS3(src)) return writeLocal(readable(ctx, src), localPath(local), o.overwrite === true);
      if (!isBs(src)) throw new MrError('MR_ERR_USAGE', `get: ${src} is not a bs:// or s3:// URI`);
      const e = await ctx.client().stat(bsPath(src));
      if (e.isDir) throw new MrError('MR_ERR_FS_IS_DIR', `get: ${src} is a directory`);
      const bar = progress(io, `get ${src}`, e.size);
      let n = 0;
      const body = Readable.from((async function* () {
        for await (const b of ctx.client().read(bsPath(src))) {
          n += b.length;
          bar.update(n);
          yield b;
        }
      })());
      await writeLocal(body, localPath(local), o.overwrite === true);
      bar.done();
    }));

  fs.command('cat')
    .description('print a file (bs:// or local) to stdout')
    .argument('<URI>')
    .action(run(async (ctx, uri: string) => {
      for await (const b of readable(ctx, uri) as AsyncIterable<Buffer>) {
        if (!process.stdout.write(b)) await new Promise((r) => process.stdout.once('drain', r));
      }
    }));

  fs.command('ls')
    .description('list a directory (bs:// or local)')
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
    .description('size, blocks and replicas of a block-store file')
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
    .description('copy a file between any two locations (bs://, local), streaming')
    .argument('<SRC>').argument('<DST>')
    .option('--overwrite', 'replace an existing destination')
    .addOption(new Option('--block-size <SIZE>', 'block size when writing to bs://').argParser(sizeFlag('--block-size')))
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
      const body = readable(ctx, src);
      if (isBs(dst)) await ctx.client().put(body, bsPath(dst), { overwrite: o.overwrite === true, ...(o.blockSize ? { blockSize: o.blockSize } : {}) });
      else if (isS3(dst)) await writeS3(body, dst, o.overwrite === true);
      else await writeLocal(body, localPath(dst), o.overwrite === true);
    }));
  return fs;
}
