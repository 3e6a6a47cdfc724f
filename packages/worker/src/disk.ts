import { createWriteStream, statfsSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { resolve } from 'node:path';
import { formatBytes, MrError, systemResourceError, type SpaceFloor } from '@mr/shared';

/** The default --reserved-space: 5% of the disk, at most 1 GiB (HDFS's dfs.datanode.du.reserved, scaled for small disks). */
export const DEFAULT_SPACE_FLOOR = { percent: 5, maxBytes: 1024 ** 3 };

export interface DiskReport {
  freeBytes: number;
  reservedBytes: number;
  /** Below the floor: the master gives this core worker no new blocks or map outputs. */
  full: boolean;
}

/**
 * A core worker's --data disk: how much is free (statfs, what an unprivileged writer may use), the
 * floor it keeps free (--reserved-space), and the errors that say so. Read when asked: at every
 * heartbeat, and before a new block or map output is accepted.
 */
export class DiskSpace {
  readonly dir: string;
  readonly reservedBytes: number;
  private freeBytes = 0;

  constructor(dir: string, private readonly nodeId: string, floor: SpaceFloor | undefined) {
    this.dir = resolve(dir);
    const { total } = this.statfs();
    this.reservedBytes =
      floor === undefined ? Math.min(DEFAULT_SPACE_FLOOR.maxBytes, Math.floor((total * DEFAULT_SPACE_FLOOR.percent) / 100))
      : 'bytes' in floor ? floor.bytes
      : Math.floor((total * floor.percent) / 100);
    this.refresh();
  }

  private statfs(): { free: number; total: number } {
    const s = statfsSync(this.dir);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  }

  /** Reads the disk again; what a heartbeat reports. */
  refresh(): DiskReport {
    try {
      this.freeBytes = this.statfs().free;
    } catch {
      // the dir is gone or unreadable: keep the last figure; writes will say what is wrong
    }
    return this.report();
  }

  report(): DiskReport {
    return { freeBytes: this.freeBytes, reservedBytes: this.reservedBytes, full: this.freeBytes < this.reservedBytes };
  }

  /** Before a new block or map output is accepted: refused when below the floor (the master's view may be a heartbeat old). */
  checkRoom(what: string): void {
    const r = this.refresh();
    if (r.full) {
      throw new MrError('MR_ERR_NO_SPACE', `no space left on ${this.nodeId} (${this.dir}) for ${what}: ${formatBytes(r.freeBytes)} free, below --reserved-space ${formatBytes(r.reservedBytes)}`);
    }
  }

  /**
   * A failed write as a coded error: ENOSPC (or a quota) says how full the disk is, measured now
   * (before the partial file is removed); descriptors running out is a resource error; anything
   * else keeps its message.
   */
  writeError(e: unknown, what: string): MrError {
    if (MrError.is(e)) return e;
    const errno = (e as NodeJS.ErrnoException | undefined)?.code;
    if (errno === 'ENOSPC' || errno === 'EDQUOT') {
      this.refresh();
      return new MrError('MR_ERR_NO_SPACE', `no space left on ${this.nodeId} (${this.dir}): ${formatBytes(this.freeBytes)} free`, { cause: e });
    }
    return systemResourceError(e, what) ?? new MrError('MR_ERR_SHUFFLE', `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/** A write error without a DiskSpace at hand (a store made without one, in tests): still coded. */
export function writeErrorOf(disk: DiskSpace | undefined, e: unknown, what: string): MrError {
  if (disk) return disk.writeError(e, what);
  if (MrError.is(e)) return e;
  return systemResourceError(e, what) ?? new MrError('MR_ERR_SHUFFLE', `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/**
 * Destroys a file write stream and resolves once its descriptor is closed: a partial file removed
 * before that could be created again by an open still in flight, and survive.
 */
export function closed(out: WriteStream): Promise<void> {
  if (out.closed) return Promise.resolve();
  return new Promise((resolve) => {
    out.once('close', () => resolve());
    out.destroy();
  });
}

/**
 * A file the stores write under a temporary name, then rename or drop: a disk error fails it at
 * once (named by writeErrorOf, `onError` told once), never the process; `finish` ends the stream
 * and throws what failed; `abort` closes and removes the file, once however often it is called.
 */
export function tempFile(tmp: string, disk: DiskSpace | undefined, what: string, onError?: (e: MrError) => void) {
  const out = createWriteStream(tmp);
  let failure: MrError | undefined;
  out.on('error', (e) => {
    if (failure) return;
    failure = writeErrorOf(disk, e, what);
    onError?.(failure);
  });
  let dropped: Promise<void> | undefined;
  return {
    out,
    /** Throws once the disk has failed. */
    check(): void {
      if (failure) throw failure;
    },
    /** Ends the stream and waits for its data to be written; throws what failed. */
    async finish(): Promise<void> {
      if (!failure) {
        out.end();
        await finished(out).catch(() => undefined); // an error is in `failure`
      }
      if (failure) throw failure;
    },
    abort: (): Promise<void> =>
      (dropped ??= (async () => {
        await closed(out);
        await rm(tmp, { force: true });
      })()),
  };
}
