import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_BYTES, MrError, systemResourceError } from '@mr/shared';
import { tempFile, writeErrorOf, type DiskSpace } from '../disk.js';

/** A directory's entries, none when it does not exist (yet). */
function readdirIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function safeId(id: string, what: string): string {
  if (!SAFE_ID.test(id) || id.includes('..')) throw new MrError('MR_ERR_SHUFFLE', `bad ${what} '${id}'`);
  return id;
}

/**
 * Why a stored map output could not be looked up: only a missing file means it is not here (the
 * reducer then tries another copy, or the master re-runs the map); running out of descriptors is a
 * resource error, and anything else says what it was.
 */
function lookupError(e: unknown, jobId: string, attemptId: string): MrError {
  const resource = systemResourceError(e, `map output ${attemptId} of ${jobId}`);
  if (resource) return resource;
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new MrError('MR_ERR_SHUFFLE', `map output ${attemptId} of ${jobId} is not stored here`);
  return new MrError('MR_ERR_SHUFFLE', `map output ${attemptId} of ${jobId}: ${(e as Error).message}`, { cause: e });
}

export interface SegmentRange {
  file: string;
  start: number;
  length: number;
}

/**
 * Map outputs held by a core worker (design.md: map output lives on core workers). One file per
 * map attempt, partitions back to back, with an index of partition sizes. A file becomes visible
 * (renamed into place) only when complete, so a half-received output is never served.
 */
export class ShuffleStore {
  /** `disk`: the --data disk, whose floor (--reserved-space) refuses new map outputs and whose errors say how full it is. */
  constructor(
    private readonly root: string,
    private readonly disk?: DiskSpace,
  ) {
    // half-received outputs of a process that died (the data dir is locked: none is being written now)
    for (const job of readdirIn(root)) {
      for (const name of readdirIn(join(root, job))) if (name.includes('.tmp-')) rmSync(join(root, job, name), { force: true });
    }
  }

  private paths(jobId: string, attemptId: string) {
    const dir = join(this.root, safeId(jobId, 'job id'));
    const base = join(dir, safeId(attemptId, 'attempt id'));
    return { dir, data: `${base}.out`, index: `${base}.idx` };
  }

  /**
   * Opens a new output for writing; `commit` makes it visible, `abort` removes it. A disk error
   * fails it at once (`onError`), never the process; a full disk is named as such.
   */
  create(jobId: string, attemptId: string, partitionBytes: number[], onError?: (e: MrError) => void) {
    const p = this.paths(jobId, attemptId);
    const what = `map output ${attemptId}`;
    this.disk?.checkRoom(what);
    mkdirSync(p.dir, { recursive: true });
    const tmp = `${p.data}.tmp-${process.pid}-${Date.now()}`;
    const file = tempFile(tmp, this.disk, what, onError);
    const expected = partitionBytes.reduce((a, b) => a + b, 0);
    return {
      stream: file.out,
      /** Returns whether the stream wants more now; throws once the disk has failed. */
      write(data: Buffer): boolean {
        file.check();
        return file.out.write(data);
      },
      commit: async (written: number) => {
        try {
          await file.finish();
          if (written !== expected) throw new MrError('MR_ERR_SHUFFLE', `${what}: got ${written} bytes, expected ${expected}`);
          await writeFile(p.index, JSON.stringify(partitionBytes));
          await rename(tmp, p.data);
        } catch (e) {
          await file.abort();
          throw writeErrorOf(this.disk, e, what);
        }
      },
      abort: file.abort,
    };
  }

  /**
   * Takes a map output written on this machine: moved in (the map ran on this core worker), or
   * copied, as a hard link where it can (a map in another worker of this process, whose file may
   * go to other core workers too).
   */
  async adopt(jobId: string, attemptId: string, file: string, partitionBytes: number[], how: 'move' | 'copy' = 'move'): Promise<void> {
    const p = this.paths(jobId, attemptId);
    await mkdir(p.dir, { recursive: true });
    const size = (await stat(file)).size;
    const expected = partitionBytes.reduce((a, b) => a + b, 0);
    if (size !== expected) throw new MrError('MR_ERR_SHUFFLE', `map output ${attemptId}: ${size} bytes on disk, expected ${expected}`);
    const tmp = `${p.data}.tmp-${process.pid}-${Date.now()}`;
    try {
      // a copy is a hard link where it can be (the map's file is never written again, and only
      // unlinked when its attempt ends): a sort map's 64 MB is then not copied at all
      if (how === 'copy') await link(file, tmp).catch(() => copyFile(file, tmp));
      else {
        try {
          await rename(file, tmp);
        } catch {
          await copyFile(file, tmp); // work dir on another file system
        }
      }
      await writeFile(p.index, JSON.stringify(partitionBytes));
      await rename(tmp, p.data);
    } catch (e) {
      await rm(tmp, { force: true });
      throw writeErrorOf(this.disk, e, `map output ${attemptId}`);
    }
  }

  /** Where one partition of a stored map output is. */
  async segment(jobId: string, attemptId: string, partition: number): Promise<SegmentRange> {
    const p = this.paths(jobId, attemptId);
    let sizes: number[];
    try {
      sizes = JSON.parse(await readFile(p.index, 'utf8')) as number[];
      await stat(p.data);
    } catch (e) {
      throw lookupError(e, jobId, attemptId);
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= sizes.length) {
      throw new MrError('MR_ERR_SHUFFLE', `map output ${attemptId} has no partition ${partition}`);
    }
    let start = 0;
    for (let i = 0; i < partition; i++) start += sizes[i]!;
    return { file: p.data, start, length: sizes[partition]! };
  }

  read(range: SegmentRange) {
    return createReadStream(range.file, { start: range.start, end: range.start + range.length - 1, highWaterMark: CHUNK_BYTES });
  }

  /** A stored map output as a whole: its file and partition sizes (for a hand-off). */
  async output(jobId: string, attemptId: string): Promise<{ file: string; partitionBytes: number[] }> {
    const p = this.paths(jobId, attemptId);
    try {
      return { file: p.data, partitionBytes: JSON.parse(await readFile(p.index, 'utf8')) as number[] };
    } catch (e) {
      throw lookupError(e, jobId, attemptId);
    }
  }

  /** Attempt ids of every complete map output held here (told to the master at registration). */
  async list(): Promise<string[]> {
    const out: string[] = [];
    let jobs: string[];
    try {
      jobs = await readdir(this.root);
    } catch {
      return out;
    }
    for (const job of jobs) {
      for (const name of await readdir(join(this.root, job)).catch(() => [] as string[])) {
        if (name.endsWith('.out')) out.push(name.slice(0, -'.out'.length));
      }
    }
    return out.sort();
  }

  async drop(jobId: string): Promise<void> {
    await rm(join(this.root, safeId(jobId, 'job id')), { recursive: true, force: true });
  }
}
