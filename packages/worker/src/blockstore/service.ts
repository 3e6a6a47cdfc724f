import type * as grpc from '@grpc/grpc-js';
import { blocksClient, checkChunk, fromServiceError, makeChunk, MrError, toMrError, toServiceError, waitDrain, wire, type Logger, type TlsConfig } from '@mr/shared';
import type { BlockStore } from './store.js';

export interface BlocksServiceDeps {
  store: BlockStore | undefined;
  nodeId: string;
  token: string;
  /** For the next node of a replication pipeline. */
  tls: TlsConfig | undefined;
  log: Logger;
  /** A stored replica failed its checksum (and was deleted): tell the master. */
  onCorrupt(blockId: string): void;
}

/**
 * The data node's gRPC service (core workers): Write stores a block and forwards it down the
 * replication pipeline as it arrives; Read streams a verified range.
 */
export function blocksService(d: BlocksServiceDeps): wire.BlocksServer {
  const noStore = () => new MrError('MR_ERR_FS_NO_DATANODES', 'this is a task worker: it stores no blocks');
  return {
    write(call: grpc.ServerReadableStream<wire.BlockWrite, wire.BlockWriteResult>, cb: grpc.sendUnaryData<wire.BlockWriteResult>) {
      if (!d.store) return cb(toServiceError(noStore()), null);
      const store = d.store;
      let w: ReturnType<BlockStore['writer']> | undefined;
      let next: grpc.ClientWritableStream<wire.BlockWrite> | undefined;
      /** The next node failed: the pipeline goes on without it (one replica fewer), not into a dead call. */
      let nextFailed = false;
      let downstream: Promise<string[]> = Promise.resolve([]);
      let failed = false;
      let blockId = '';
      // a local failure (a full disk) ends the call at once, whatever the client is sending: the
      // writer learns it now and can try other core workers, rather than waiting on a stalled stream
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        const err = toMrError(e);
        if (err.code === 'MR_ERR_NO_SPACE' || err.code === 'MR_ERR_RESOURCE') d.log.warn({ blockId, code: err.code, err: err.message }, 'block write failed');
        void w?.abort();
        next?.cancel();
        call.destroy();
        cb(toServiceError(err), null);
      };
      call.on('data', (m: wire.BlockWrite) => {
        if (failed) return;
        try {
          if (!w) {
            blockId = m.blockId;
            w = store.writer(m.blockId, fail);
            const [first, ...rest] = m.pipeline;
            if (first) {
              // forward down the pipeline; a failure there only shortens the replica list
              downstream = new Promise((resolve) => {
                const c = blocksClient(first.address, d.token, d.tls);
                next = c.write((e, r) => {
                  c.close();
                  if (e) {
                    nextFailed = true;
                    if (!failed) d.log.warn({ blockId, next: first.nodeId, err: fromServiceError(e, first.address, d.tls !== undefined).message }, 'pipeline: downstream write failed');
                  }
                  resolve(e ? [] : r.storedOn);
                });
                next.write({ blockId: m.blockId, pipeline: rest, chunk: undefined });
              });
            }
          }
          if (m.chunk && m.chunk.data.length > 0) {
            const data = checkChunk(m.chunk, `block ${blockId}`);
            // backpressure from both the local disk and the next node in the pipeline
            const forward = next && !nextFailed ? next : undefined;
            const nextOk = forward ? forward.write({ blockId: '', pipeline: [], chunk: m.chunk }) : true;
            const localOk = w.write(data);
            if (!localOk || !nextOk) {
              call.pause();
              let waits = (localOk ? 0 : 1) + (nextOk ? 0 : 1);
              const drained = () => --waits === 0 && !failed && call.resume();
              if (!localOk) void waitDrain(w.stream).then(drained);
              if (!nextOk) void waitDrain(forward!).then(drained);
            }
          }
        } catch (e) {
          fail(e);
        }
      });
      call.on('error', fail);
      call.on('end', () => {
        if (failed) return;
        if (!w) return fail(new MrError('MR_ERR_SHUFFLE', 'empty block stream'));
        // this replica first: the next node completes its own only when this one stands
        w.commit().then(
          async (size) => {
            next?.end();
            cb(null, { size, storedOn: [d.nodeId, ...(await downstream)] });
          },
          fail,
        );
      });
    },

    read(call: grpc.ServerWritableStream<wire.BlockRead, wire.Chunk>) {
      if (!d.store) return call.emit('error', toServiceError(noStore()));
      const { blockId, offset, length } = call.request;
      const store = d.store;
      void (async () => {
        for await (const piece of store.read(blockId, offset, length > 0 ? length : Infinity)) {
          if (call.cancelled) return;
          if (!call.write(makeChunk(piece))) await waitDrain(call);
        }
        call.end();
      })().catch((e: unknown) => {
        call.emit('error', toServiceError(e));
        // delete before reporting, so that a replacement copy to this node cannot race the delete
        if (MrError.is(e) && e.code === 'MR_ERR_CHECKSUM') {
          d.log.warn({ blockId, err: e.message }, 'corrupt replica: deleted');
          void store.delete([blockId]).finally(() => d.onCorrupt(blockId));
        }
      });
    },
  };
}
