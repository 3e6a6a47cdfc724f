import { createReadStream, createWriteStream } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { checkChunk, CHUNK_BYTES, fromServiceError, makeChunk, MrError, shuffleClient, waitDrain, wire, type TlsConfig } from '@mr/shared';
import type { SegmentRange, ShuffleStore } from './store.js';

/**
 * Shuffle stores of the core workers running in this process, by advertised address: a core
 * worker's own, and in `mr run`'s embedded cluster its neighbours' (Hadoop's local mode has no
 * HTTP shuffle either). A push to one of them is a hard link (or copy) of the file and a fetch an
 * in-place read, not gRPC over loopback with a checksum per chunk on this same event loop.
 * Separate worker processes (`mr worker`, `mr run --isolate`) never see each other here.
 */
const inProcessStores = new Map<string, ShuffleStore>();

/** Makes a core worker's store reachable in-process at its address; returns the undo. */
export function shareInProcess(address: string, store: ShuffleStore): () => void {
  inProcessStores.set(address, store);
  return () => {
    if (inProcessStores.get(address) === store) inProcessStores.delete(address);
  };
}

/** One client (channel) per core worker address, shared by all attempts. */
export class ShuffleClients {
  private readonly clients = new Map<string, wire.ShuffleClient>();

  constructor(
    private readonly token: string,
    private readonly tls: TlsConfig | undefined,
  ) {}

  get(address: string): wire.ShuffleClient {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = shuffleClient(address, this.token, this.tls)));
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** Streams a map output file to a core worker, in CRC32C-checked chunks (links or copies it, in-process). */
  push(address: string, header: { jobId: string; mapIndex: number; attemptId: string; partitionBytes: number[] }, file: string, signal: AbortSignal): Promise<void> {
    const local = inProcessStores.get(address);
    if (local) {
      if (signal.aborted) return Promise.reject(new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed'));
      return local.adopt(header.jobId, header.attemptId, file, header.partitionBytes, 'copy');
    }
    return new Promise((resolve, reject) => {
      // once the core worker has answered (a full disk refuses at once), the rest is not sent
      let answered = false;
      const call = this.get(address).put((err) => {
        answered = true;
        if (err) reject(fromServiceError(err, `core worker ${address}`, this.tls !== undefined));
        else resolve();
      });
      const abort = () => call.cancel();
      signal.addEventListener('abort', abort, { once: true });
      void (async () => {
        call.write({ ...header, chunk: undefined });
        for await (const piece of createReadStream(file, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
          if (answered) return;
          if (!call.write({ jobId: '', mapIndex: 0, attemptId: '', partitionBytes: [], chunk: makeChunk(piece) })) await waitDrain(call);
        }
        call.end();
      })().catch((e: unknown) => {
        call.cancel();
        reject(e);
      }).finally(() => signal.removeEventListener('abort', abort));
    });
  }

  /** One partition of one map output: fetched into `file`, or where it lies when the store is in-process. */
  async segment(address: string, req: wire.ShuffleFetch, file: string, signal: AbortSignal): Promise<SegmentRange> {
    const local = inProcessStores.get(address);
    if (local) return local.segment(req.jobId, req.attemptId, req.partition);
    return { file, start: 0, length: await this.fetch(address, req, file, signal) };
  }

  /** Fetches one partition of one map output into a local file; resolves with its size. */
  private fetch(address: string, req: wire.ShuffleFetch, file: string, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      const call = this.get(address).fetch(req);
      const out = createWriteStream(file);
      let bytes = 0;
      let done = false;
      const finish = (e?: unknown) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (e) {
          call.cancel();
          out.destroy();
          reject(MrError.is(e) ? e : fromServiceError(e, `core worker ${address}`, this.tls !== undefined));
        } else out.end((err?: Error | null) => (err ? reject(new MrError('MR_ERR_SHUFFLE', `map output ${req.attemptId}: ${err.message}`)) : resolve(bytes)));
      };
      const onAbort = () => finish(new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed'));
      signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (c: wire.Chunk) => {
        try {
          const data = checkChunk(c, `map output ${req.attemptId} partition ${req.partition} from ${address}`);
          bytes += data.length;
          if (!out.write(data)) {
            call.pause();
            out.once('drain', () => call.resume());
          }
        } catch (e) {
          finish(e);
        }
      });
      call.on('error', (e: grpc.ServiceError) => finish(e));
      call.on('end', () => finish());
      out.on('error', (e) => finish(e));
    });
  }
}
