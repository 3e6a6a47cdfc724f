import { crc32c } from '@node-rs/crc32';
import { MrError } from '../errors.js';

/** Bulk data moves in chunks of about 1 MiB, each with its CRC32C (design.md "Wire"). */
export const CHUNK_BYTES = 1 << 20;

export interface WireChunk {
  data: Buffer;
  crc32c: number;
}

export function makeChunk(data: Buffer): WireChunk {
  return { data, crc32c: crc32c(data) >>> 0 };
}

export function checkChunk(chunk: WireChunk | undefined, what: string): Buffer {
  if (!chunk) throw new MrError('MR_ERR_SHUFFLE', `${what}: message without data`);
  const got = crc32c(chunk.data) >>> 0;
  if (got !== chunk.crc32c >>> 0) {
    throw new MrError('MR_ERR_CHECKSUM', `${what}: CRC32C mismatch (got ${got.toString(16)}, want ${(chunk.crc32c >>> 0).toString(16)})`);
  }
  return chunk.data;
}
