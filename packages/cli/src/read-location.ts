import { createReadStream } from 'node:fs';
import { BlockStoreClient, bsPath, masterClient, parseS3, readObject, requireClusterToken, requireLocalPath } from '@mr/shared';

/**
 * Reads any location as a stream of chunks: a local path or file://, s3://, or bs:// (through the
 * master at `master`; the client is made on first use and closed when the stream ends).
 */
export async function* readLocation(uri: string, master: string | undefined): AsyncIterable<Buffer> {
  if (uri.startsWith('s3://')) {
    const { bucket, key } = parseS3(uri);
    yield* (await readObject(bucket, key)) as AsyncIterable<Buffer>;
    return;
  }
  if (uri.startsWith('bs://')) {
    const token = requireClusterToken();
    const m = masterClient(master ?? '', token);
    const client = new BlockStoreClient(m, token);
    try {
      yield* client.read(bsPath(uri));
    } finally {
      client.close();
      m.close();
    }
    return;
  }
  yield* createReadStream(requireLocalPath(uri, 'output'), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
}
