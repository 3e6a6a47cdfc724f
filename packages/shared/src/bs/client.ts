import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { MrError } from '../errors.js';
import { bsNamespacePath } from '../uri.js';
import { CHUNK_BYTES, checkChunk, makeChunk } from '../rpc/chunks.js';
import { blocksClient, unary } from '../rpc/clients.js';
import { waitDrain } from '../rpc/streams.js';
import { fromServiceError } from '../rpc/status.js';
import type { TlsConfig } from '../rpc/tls.js';
import type { BlockLocation, BlockWrite, FsEntry, MasterClient } from '../gen/mr/v1/cluster.js';

/** `bs://a/b` -> `/a/b` (the namespace path, normalised; a `..` above the root is refused: bsNamespacePath). */
export function bsPath(uri: string): string {
  if (!uri.startsWith('bs://')) throw new MrError('MR_ERR_BAD_URI', `${uri} is not a bs:// URI`);
  return bsNamespacePath(uri);
}

export interface PutOptions {
  blockSize?: number;
  /** 0 = the master's default (3, capped by live core workers). */
  replication?: number;
  overwrite?: boolean;
  onProgress?(bytes: number): void;
}

/**
 * The block store client (issue 4): writes go block by block through a replication pipeline of
 * core workers the master picks; reads go to the first live replica and fail over to the next on
 * any error, including a checksum mismatch (which the serving node reports itself).
 */
export class BlockStoreClient {
  private readonly peers = new Map<string, ReturnType<typeof blocksClient>>();

  constructor(
    private readonly master: MasterClient,
    private readonly token: string,
    /** TLS for the master's and the core workers' connections (rpc/tls.ts); undefined = plaintext. */
    private readonly tls: TlsConfig | undefined,
    /** The caller's node id when it is a core worker: it gets the first replica, and reads prefer it. */
    private readonly localNode?: string,
  ) {}

  close(): void {
    for (const c of this.peers.values()) c.close();
    this.peers.clear();
  }

  private peer(address: string) {
    let c = this.peers.get(address);
    if (!c) this.peers.set(address, (c = blocksClient(address, this.token, this.tls)));
    return c;
  }

  private call<Req, Res>(method: keyof MasterClient, req: Req): Promise<Res> {
    const fn = (this.master[method] as (...a: unknown[]) => unknown).bind(this.master) as Parameters<typeof unary<Req, Res>>[0];
    return unary<Req, Res>(fn, req, 60_000).catch((e: unknown) => {
      // the channel's target is "dns:HOST:PORT": the address the user gave
      throw fromServiceError(e, `the master at ${this.master.getChannel().getTarget().replace(/^dns:/, '')}`, this.tls !== undefined);
    });
  }

  stat(path: string): Promise<FsEntry> {
    return this.call('fsStat', { path, recursive: false });
  }

  list(path: string, recursive = false): Promise<FsEntry[]> {
    return this.call<unknown, { entries: FsEntry[] }>('fsList', { path, recursive }).then((r) => r.entries);
  }

  mkdir(path: string): Promise<FsEntry> {
    return this.call('fsMkdir', { path, recursive: true });
  }

  rename(src: string, dst: string): Promise<FsEntry> {
    return this.call('fsRename', { src, dst });
  }

  delete(path: string, recursive: boolean): Promise<void> {
    return this.call('fsDelete', { path, recursive });
  }

  /**
   * Writes a file from a local path or a stream; it becomes visible only when complete. From a
   * local path, a block whose pipeline fails (its first core worker's disk filled up, or it went
   * away) is written again on other core workers, the file read again for it, until none is left;
   * then the first failure is the error. A stream cannot be read twice: its failure ends the put.
   */
  async put(source: string | Readable, path: string, o: PutOptions = {}): Promise<FsEntry> {
    // 0 = the master's defaults (--block-size, --replication on the master)
    const created = await this.call<unknown, FsEntry>('fsCreate', { path, blockSize: o.blockSize ?? 0, replication: o.replication ?? 0, clientNode: this.localNode ?? '', overwrite: o.overwrite === true });
    const progress = (n: number) => o.onProgress?.(n);
    try {
      if (typeof source === 'string') await this.putFile(source, path, created.blockSize, progress);
      else await this.putStream(source, path, created.blockSize, progress);
      return await this.call('fsClose', { path, recursive: false });
    } catch (e) {
      await this.call('fsAbandon', { path, recursive: false }).catch(() => undefined);
      throw e;
    }
  }

  private async putStream(input: Readable, path: string, blockSize: number, progress: (bytes: number) => void): Promise<void> {
    let written = 0;
    let block: BlockWriter | undefined;
    try {
      for await (const raw of input as AsyncIterable<Buffer>) {
        let data = raw;
        while (data.length > 0) {
          block ??= this.openBlock(await this.addBlock(path, [], undefined));
          const n = Math.min(data.length, blockSize - block.size);
          await block.write(data.subarray(0, n));
          data = data.subarray(n);
          written += n;
          progress(written);
          if (block.size === blockSize) {
            await this.finishBlock(path, block);
            block = undefined;
          }
        }
      }
      if (block) await this.finishBlock(path, block);
    } catch (e) {
      block?.cancel();
      throw e;
    }
  }

  private async putFile(file: string, path: string, blockSize: number, progress: (bytes: number) => void): Promise<void> {
    const size = (await stat(file).catch((e: unknown) => {
      throw new MrError('MR_ERR_INPUT_NOT_FOUND', `${file}: ${(e as Error).message}`);
    })).size;
    for (let start = 0; start < size; start += blockSize) {
      const end = Math.min(size, start + blockSize);
      await this.putFileBlock(path, () => createReadStream(file, { start, end: end - 1, highWaterMark: CHUNK_BYTES }), (n) => progress(start + n));
    }
  }

  /** One block of a local file, failing over to other core workers while the master has some. */
  private async putFileBlock(path: string, read: () => Readable, progress: (bytes: number) => void): Promise<void> {
    const exclude: string[] = [];
    let replaces: string | undefined;
    let firstFailure: MrError | undefined;
    for (;;) {
      let loc: BlockLocation;
      try {
        loc = await this.addBlock(path, exclude, replaces);
      } catch (e) {
        // no core worker left to try: what the first one said is why (`no space left on core-1 ...`)
        throw firstFailure ?? e;
      }
      const block = this.openBlock(loc);
      try {
        for await (const data of read() as AsyncIterable<Buffer>) {
          await block.write(data);
          progress(block.size);
        }
        await this.finishBlock(path, block);
        return;
      } catch (e) {
        block.cancel();
        const failure = block.failure();
        if (!failure) throw e; // the local read or the master failed, not the pipeline
        firstFailure ??= failure;
        exclude.push(block.node);
        replaces = loc.id;
      }
    }
  }

  private addBlock(path: string, exclude: string[], replaces: string | undefined): Promise<BlockLocation> {
    return this.call<unknown, BlockLocation>('fsAddBlock', { path, clientNode: this.localNode ?? '', excludeNodes: exclude, replacesBlock: replaces ?? '' });
  }

  private async finishBlock(path: string, block: BlockWriter): Promise<void> {
    const r = await block.finish();
    await this.call('fsBlockDone', { path, blockId: block.id, size: r.size, replicas: r.storedOn });
  }

  /**
   * Streams one block to the first core worker of its pipeline. Once that node has failed the
   * block (its answer can come at any moment: a full disk refuses at once), writes throw its error.
   */
  private openBlock(loc: BlockLocation): BlockWriter {
    const [first, ...rest] = loc.replicas;
    if (!first) throw new MrError('MR_ERR_FS_NO_DATANODES', 'the master gave no core worker for a new block');
    let failure: MrError | undefined;
    let stream!: grpc.ClientWritableStream<BlockWrite>;
    const result = new Promise<{ size: number; storedOn: string[] }>((res, rej) => {
      stream = this.peer(first.address).write((e, r) => {
        if (!e) return res(r);
        failure = fromServiceError(e, `the core worker at ${first.address}`, this.tls !== undefined);
        rej(failure);
      });
    });
    result.catch(() => undefined); // observed by finish() or the drain race
    stream.write({ blockId: loc.id, pipeline: rest, chunk: undefined });
    const w: BlockWriter = {
      id: loc.id,
      node: first.nodeId,
      size: 0,
      failure: () => failure,
      write: async (data: Buffer) => {
        for (let off = 0; off < data.length; off += CHUNK_BYTES) {
          if (failure) throw failure;
          const piece = data.subarray(off, off + CHUNK_BYTES);
          w.size += piece.length;
          if (!stream.write({ blockId: '', pipeline: [], chunk: makeChunk(piece) })) {
            await Promise.race([waitDrain(stream), result]);
          }
        }
      },
      finish: () => {
        if (failure) return Promise.reject(failure);
        stream.end();
        return result;
      },
      cancel: () => stream.cancel(),
    };
    return w;
  }

  /** The bytes of a file from `offset` (default: all of it), block by block, failing over between replicas. */
  async *read(path: string, offset = 0, length = Infinity): AsyncGenerator<Buffer> {
    const entry = await this.stat(path);
    if (entry.isDir) throw new MrError('MR_ERR_FS_IS_DIR', `bs://${path.replace(/^\//, '')} is a directory`);
    const end = Math.min(entry.size, offset + length);
    for (const b of entry.blocks) {
      if (b.offset + b.size <= offset) continue;
      if (b.offset >= end) break;
      const from = Math.max(0, offset - b.offset);
      const to = Math.min(b.size, end - b.offset);
      yield* this.readBlock(path, b, from, to - from);
    }
  }

  private async *readBlock(path: string, b: BlockLocation, offset: number, length: number): AsyncGenerator<Buffer> {
    const replicas = [...b.replicas].sort((x, y) => Number(y.nodeId === this.localNode) - Number(x.nodeId === this.localNode));
    let done = 0;
    let lastError: unknown;
    for (const r of replicas) {
      const call = this.peer(r.address).read({ blockId: b.id, offset: offset + done, length: length - done });
      try {
        for await (const c of call as AsyncIterable<{ data: Buffer; crc32c: number }>) {
          const data = checkChunk(c, `block ${b.id} from ${r.nodeId}`);
          done += data.length;
          yield data;
        }
        if (done < length) throw new MrError('MR_ERR_CHECKSUM', `block ${b.id} from ${r.nodeId}: ended after ${done} of ${length} bytes`);
        return;
      } catch (e) {
        lastError = MrError.is(e) ? e : fromServiceError(e, `the core worker at ${r.address}`, this.tls !== undefined);
        // the bytes already yielded are good: the next replica continues from there
      } finally {
        // also when the consumer stops early (a split reads only to the next newline): free the server side
        call.cancel();
      }
    }
    const why = lastError instanceof Error ? `: ${lastError.message}` : '';
    throw new MrError('MR_ERR_FS_BLOCK_LOST', `bs://${path.replace(/^\//, '')}: no replica of block ${b.id} could be read${replicas.length === 0 ? ' (none is live)' : why}`);
  }
}

interface BlockWriter {
  id: string;
  /** The pipeline's first core worker: the one whose failure fails the block. */
  node: string;
  size: number;
  /** What the pipeline failed with, once it has. */
  failure(): MrError | undefined;
  write(data: Buffer): Promise<void>;
  finish(): Promise<{ size: number; storedOn: string[] }>;
  cancel(): void;
}
