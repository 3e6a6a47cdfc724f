import type * as grpc from '@grpc/grpc-js';
import { checkChunk, makeChunk, MrError, systemResourceError, toMrError, toServiceError, waitDrain, wire, type Logger } from '@mr/shared';
import type { ShuffleStore } from './store.js';

/** gRPC Shuffle service over a core worker's ShuffleStore. */
export function shuffleService(store: ShuffleStore | undefined, log: Logger): wire.ShuffleServer {
  const noStore = () => new MrError('MR_ERR_SHUFFLE', 'this is a task worker: it stores no shuffle data');
  return {
    put(call: grpc.ServerReadableStream<wire.ShufflePut, wire.ShufflePutResult>, cb: grpc.sendUnaryData<wire.ShufflePutResult>) {
      if (!store) return cb(toServiceError(noStore()), null);
      let out: ReturnType<ShuffleStore['create']> | undefined;
      let attemptId = '';
      let written = 0;
      let failed = false;
      // a local failure (a full disk) ends the call at once: the map learns it now, not at its task timeout
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        const err = toMrError(e);
        if (err.code === 'MR_ERR_NO_SPACE' || err.code === 'MR_ERR_RESOURCE') log.warn({ attemptId, code: err.code, err: err.message }, 'map output not stored');
        void out?.abort();
        call.destroy();
        cb(toServiceError(err), null);
      };
      call.on('data', (m: wire.ShufflePut) => {
        if (failed) return;
        try {
          if (!out) {
            attemptId = m.attemptId;
            out = store.create(m.jobId, m.attemptId, m.partitionBytes, fail);
          }
          if (m.chunk && m.chunk.data.length > 0) {
            const data = checkChunk(m.chunk, `map output ${m.attemptId}`);
            written += data.length;
            if (!out.write(data)) {
              call.pause();
              void waitDrain(out.stream).then(() => !failed && call.resume());
            }
          }
        } catch (e) {
          fail(e);
        }
      });
      call.on('error', fail);
      call.on('end', () => {
        if (failed) return;
        if (!out) return fail(new MrError('MR_ERR_SHUFFLE', 'empty map output stream'));
        out.commit(written).then(() => cb(null, { bytes: written }), fail);
      });
    },

    fetch(call: grpc.ServerWritableStream<wire.ShuffleFetch, wire.Chunk>) {
      if (!store) return call.emit('error', toServiceError(noStore()));
      const { jobId, attemptId, partition } = call.request;
      void (async () => {
        const range = await store.segment(jobId, attemptId, partition);
        if (range.length === 0) return call.end();
        const src = store.read(range);
        // the descriptor goes with the call, however it ends (a reducer killed mid-fetch cancels)
        call.on('cancelled', () => src.destroy());
        if (call.cancelled) src.destroy();
        // the store reads in CHUNK_BYTES pieces: each becomes one checksummed message
        for await (const piece of src as AsyncIterable<Buffer>) {
          if (!call.write(makeChunk(piece))) await waitDrain(call);
        }
        call.end();
      })().catch((e: unknown) => {
        const err = systemResourceError(e, `map output ${attemptId} of ${jobId}`) ?? e;
        log.warn({ jobId, attemptId, partition, err: (err as Error).message }, 'shuffle fetch failed');
        call.emit('error', toServiceError(err));
      });
    },

    drop(call: grpc.ServerUnaryCall<wire.ShuffleDrop, wire.Empty>, cb: grpc.sendUnaryData<wire.Empty>) {
      if (!store) return cb(null, {});
      store.drop(call.request.jobId).then(() => cb(null, {}), (e: unknown) => cb(toServiceError(e), null));
    },
  };
}
