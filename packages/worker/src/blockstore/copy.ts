import { blocksClient, fromServiceError, makeChunk, waitDrain, type TlsConfig } from '@mr/shared';
import type { BlockStore } from './store.js';

/** Re-replication: streams a block this node holds (verified as read) to another core worker. */
export async function copyBlock(store: BlockStore, blockId: string, targetAddress: string, token: string, tls: TlsConfig | undefined): Promise<void> {
  const client = blocksClient(targetAddress, token, tls);
  try {
    await new Promise<void>((resolve, reject) => {
      // once the target has answered (a full disk refuses at once), the rest is not sent
      let answered = false;
      const call = client.write((e) => {
        answered = true;
        if (e) reject(fromServiceError(e, `core worker ${targetAddress}`, tls !== undefined));
        else resolve();
      });
      call.write({ blockId, pipeline: [], chunk: undefined });
      void (async () => {
        for await (const piece of store.read(blockId)) {
          if (answered) return;
          if (!call.write({ blockId: '', pipeline: [], chunk: makeChunk(piece) })) await waitDrain(call);
        }
        call.end();
      })().catch((e: unknown) => {
        call.cancel();
        reject(e);
      });
    });
  } finally {
    client.close();
  }
}
