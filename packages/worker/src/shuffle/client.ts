import { createReadStream, createWriteStream } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { checkChunk, CHUNK_BYTES, fromServiceError, makeChunk, MrError, shuffleClient, waitDrain, wire, type TlsConfig } from '@mr/shared';

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

  /** Streams a map output file to a core worker, in CRC32C-checked chunks. */
  push(address: string, header: { jobId: string; mapIndex: number; attemptId: string; partitionBytes: number[] }, file: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.get(address).put((err) => (err ? reject(fromServiceError(err, `core worker ${address}`, this.tls !== undefined)) : resolve()));
      const abort = () => call.cancel();
      signal.addEventListener('abort', abort, { once: true });
      void (async () => {
        call.write({ ...header, chunk: undefined });
        for await (const piece of createReadStream(file, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
          if (!call.write({ jobId: '', mapIndex: 0, attemptId: '', partitionBytes: [], chunk: makeChunk(piece) })) await waitDrain(call);
        }
        call.end();
      })().catch((e: unknown) => {
        call.cancel();
        reject(e);
      }).finally(() => signal.removeEventListener('abort', abort));
    });
  }

  /** Fetches one partition of one map output into a local file; resolves with its size. */
  fetch(address: string, req: wire.ShuffleFetch, file: string, signal: AbortSignal): Promise<number> {
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
