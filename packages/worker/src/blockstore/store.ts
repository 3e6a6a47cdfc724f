import { createReadStream, mkdirSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { CHUNK_BYTES, MrError, systemResourceError } from '@mr/shared';
import { tempFile, writeErrorOf, type DiskSpace } from '../disk.js';

/** Every stored block is checked in pieces of this size (HDFS's bytes-per-checksum, larger). */
export const CHECKSUM_CHUNK = 512 * 1024;
const SAFE_ID = /^blk-\d+$/;
/** A block being written: `blk-N.tmp-PID-RANDOM`, renamed to `blk-N` when complete. */
const TMP_NAME = /^blk-\d+\.tmp-/;

function safeId(id: string): string {
  if (!SAFE_ID.test(id)) throw new MrError('MR_ERR_FS_BAD_PATH', `bad block id '${id}'`);
  return id;
}

/**
 * A core worker's block replicas: `blocks/<id>` with `blocks/<id>.crc` holding the CRC32C of each
 * 512 KiB piece, computed as the block arrives and verified on every read. A block becomes
 * visible (renamed into place) only when complete.
 */
export class BlockStore {
  /** `disk`: the --data disk, whose floor (--reserved-space) refuses new blocks and whose errors say how full it is. */
  constructor(
    private readonly root: string,
    private readonly disk?: DiskSpace,
  ) {
    mkdirSync(root, { recursive: true });
    // half-written blocks of a process that died (the data dir is locked: none is being written now)
    for (const name of readdirSync(root)) if (TMP_NAME.test(name)) rmSync(join(root, name), { force: true });
  }

  private file(id: string): string {
    return join(this.root, safeId(id));
  }

  /**
   * A writer that checksums as it goes; `commit` makes the block visible, `abort` drops it. A disk
   * error fails the block at once (`onError`, and the next `write` throws), never the process:
   * the partial file is removed, and a full disk is named as such (MR_ERR_NO_SPACE).
   */
  writer(id: string, onError?: (e: MrError) => void) {
    const final = this.file(id);
    this.disk?.checkRoom(`block ${id}`);
    const tmp = `${final}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const file = tempFile(tmp, this.disk, `block ${id}`, onError);
    const out: WriteStream = file.out;
    const crcs: number[] = [];
    let crc = 0;
    let inPiece = 0;
    let size = 0;
    return {
      stream: out,
      /** Folds `data` into the per-piece checksums; returns whether the stream wants more now. */
      write(data: Buffer): boolean {
        file.check();
        let off = 0;
        while (off < data.length) {
          const n = Math.min(CHECKSUM_CHUNK - inPiece, data.length - off);
          crc = crc32c(data.subarray(off, off + n), crc) >>> 0;
          inPiece += n;
          off += n;
          if (inPiece === CHECKSUM_CHUNK) {
            crcs.push(crc);
            crc = 0;
            inPiece = 0;
          }
        }
        size += data.length;
        return out.write(data);
      },
      commit: async (): Promise<number> => {
        if (inPiece > 0) crcs.push(crc);
        try {
          await file.finish();
          const table = Buffer.alloc(crcs.length * 4);
          crcs.forEach((c, i) => table.writeUInt32LE(c, i * 4));
          await writeFile(`${final}.crc`, table);
          await rename(tmp, final);
        } catch (e) {
          await file.abort();
          await rm(`${final}.crc`, { force: true });
          throw writeErrorOf(this.disk, e, `block ${id}`);
        }
        return size;
      },
      abort: file.abort,
    };
  }

  /**
   * Reads [offset, offset + length) in pieces of about 1 MiB, each 512 KiB piece it touches checked
   * against its stored CRC32C first. A mismatch throws MR_ERR_CHECKSUM (the replica is corrupt).
   */
  async *read(id: string, offset = 0, length = Infinity): AsyncGenerator<Buffer> {
    const path = this.file(id);
    let size: number;
    let table: Buffer;
    try {
      size = (await stat(path)).size;
      table = await readFile(`${path}.crc`);
    } catch (e) {
      throw systemResourceError(e, `block ${id}`) ?? new MrError('MR_ERR_FS_NOT_FOUND', `block ${id} is not stored here`);
    }
    const end = Math.min(size, offset + length);
    if (offset >= end) return;
    const fh = await open(path, 'r').catch((e: unknown) => {
      throw systemResourceError(e, `block ${id}`) ?? e;
    });
    try {
      const perRead = Math.max(1, Math.floor(CHUNK_BYTES / CHECKSUM_CHUNK));
      let piece = Math.floor(offset / CHECKSUM_CHUNK);
      while (piece * CHECKSUM_CHUNK < end) {
        const start = piece * CHECKSUM_CHUNK;
        const want = Math.min(perRead * CHECKSUM_CHUNK, size - start);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, start);
        if (bytesRead !== want) throw new MrError('MR_ERR_CHECKSUM', `block ${id}: short read at ${start}`);
        for (let p = 0; p * CHECKSUM_CHUNK < want; p++) {
          const slice = buf.subarray(p * CHECKSUM_CHUNK, Math.min(want, (p + 1) * CHECKSUM_CHUNK));
          const expect = table.length >= (piece + p + 1) * 4 ? table.readUInt32LE((piece + p) * 4) : -1;
          if ((crc32c(slice) >>> 0) !== expect) throw new MrError('MR_ERR_CHECKSUM', `block ${id}: CRC32C mismatch in bytes ${start + p * CHECKSUM_CHUNK}..`);
        }
        yield buf.subarray(Math.max(0, offset - start), Math.min(want, end - start));
        piece += perRead;
      }
    } finally {
      await fh.close();
    }
  }

  async delete(ids: string[]): Promise<void> {
    for (const id of ids) {
      const f = this.file(id);
      await rm(f, { force: true });
      await rm(`${f}.crc`, { force: true });
    }
  }

  /** The block report: every complete block here and its size. */
  async report(): Promise<{ id: string; size: number }[]> {
    const out: { id: string; size: number }[] = [];
    for (const name of await readdir(this.root)) {
      if (!SAFE_ID.test(name)) continue;
      try {
        out.push({ id: name, size: (await stat(join(this.root, name))).size });
      } catch {
        // deleted meanwhile
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** For tests and tools: where a block's bytes are on disk. */
  pathOf(id: string): string {
    return this.file(id);
  }
}

export { createReadStream };
