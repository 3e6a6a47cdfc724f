/**
 * Copies of one file or a whole tree between stores (`put`, `get`): the plan (what goes where),
 * the check that refuses a copy onto existing files before anything is written, and the copy
 * itself with its progress bar and its report line.
 */
import { Readable } from 'node:stream';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { childLocation, isBs, isS3, listTree, localPath, mkdirLocation, readLocation, statLocation, writeLocation, writeLocationFromFile, type BlockStoreSession, type Entry } from '../../locations.js';
import { copyProgress } from '../../render/progress.js';
import { copyReport } from '../../render/sizes.js';

export interface CopyPlan {
  /** Each file, where it goes, and its size (for the bar and the report). */
  files: { src: string; dst: string; size: number }[];
  /** Directories to create first (a tree's empty ones too); none for a single file. */
  dirs: string[];
}

/** One file to one place. */
export const singleFile = (src: Entry, dst: string): CopyPlan => ({ files: [{ src: src.uri, dst, size: src.size }], dirs: [] });

/** A directory's whole tree mirrored under `dst`: every file at the same relative path, hidden names too. */
export async function treePlan(ctx: BlockStoreSession, src: Entry, dst: string): Promise<CopyPlan> {
  const tree = await listTree(ctx, src);
  return {
    files: tree.filter((e) => e.type === 'file').map((e) => ({ src: e.uri, dst: childLocation(dst, e.rel), size: e.size })),
    dirs: [dst, ...tree.filter((e) => e.type === 'dir').map((e) => childLocation(dst, e.rel))],
  };
}

/**
 * Refuses a tree copy that would land on an existing file (unless `overwrite`) or put a file where
 * a directory is, or the other way round, before anything is written: a refused copy changes nothing.
 */
export async function checkTargets(ctx: BlockStoreSession, plan: CopyPlan, dst: string, verb: string, overwrite: boolean): Promise<void> {
  const top = await statLocation(ctx, dst);
  if (!top) return;
  if (top.type === 'file') throw new MrError('MR_ERR_FS_EXISTS', `${verb}: ${dst} is a file, not a directory to copy into`);
  const there = new Map((await listTree(ctx, top)).map((e) => [e.uri, e.type]));
  for (const d of plan.dirs) {
    if (there.get(d) === 'file') throw new MrError('MR_ERR_FS_NOT_DIR', `${verb}: ${d} is a file where the copy needs a directory`);
  }
  for (const f of plan.files) {
    const type = there.get(f.dst);
    if (type === 'dir') throw new MrError('MR_ERR_FS_IS_DIR', `${verb}: ${f.dst} is a directory where the copy needs a file`);
    if (type === 'file' && !overwrite) throw new MrError('MR_ERR_FS_EXISTS', `${verb}: ${f.dst} already exists (use --overwrite)`);
  }
}

export interface CopyOptions {
  overwrite: boolean;
  blockSize?: number;
  replication?: number;
}

/**
 * Runs a plan file after file (each written whole or not at all), a bar on a TTY, and ends with the
 * report line on stderr: `put bs://data: 3 files, 10240 bytes in 0.4 s (24.4 MiB/s)`.
 */
export async function runCopy(ctx: BlockStoreSession, io: Io, label: string, plan: CopyPlan, o: CopyOptions): Promise<void> {
  const started = performance.now();
  for (const d of plan.dirs) await mkdirLocation(ctx, d);
  const total = plan.files.reduce((n, f) => n + f.size, 0);
  const bar = copyProgress(label, total, plan.files.length);
  let bytes = 0;
  let files = 0;
  try {
    for (const f of plan.files) {
      const w = { overwrite: o.overwrite, bs: ctx, ...(o.blockSize ? { blockSize: o.blockSize } : {}), ...(o.replication ? { replication: o.replication } : {}) };
      if (!isBs(f.src) && !isS3(f.src)) {
        // a local file goes by name: to bs:// a block that fails is written again elsewhere
        const before = bytes;
        await writeLocationFromFile(f.dst, localPath(f.src), { ...w, onProgress: (n) => bar.update((bytes = before + n), files) });
      } else {
        const counted = Readable.from((async function* () {
          for await (const b of readLocation(ctx, f.src) as AsyncIterable<Buffer>) {
            bytes += b.length;
            bar.update(bytes, files);
            yield b;
          }
        })());
        await writeLocation(f.dst, counted, w);
      }
      files++;
      bar.update(bytes, files);
    }
  } finally {
    bar.done();
  }
  io.err(copyReport(label, files, bytes, performance.now() - started));
}
