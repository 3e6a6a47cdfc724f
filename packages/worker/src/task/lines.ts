import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface SplitRange {
  path: string;
  start: number;
  length: number;
  /** Added to reported offsets: where `path`'s first byte sits in the real input (bs:// splits are copied locally). */
  offsetBase?: number;
}

export interface LineStats {
  /** Bytes of the split this reader consumed (compressed bytes for .gz). */
  bytes: number;
  lines: number;
}

const NL = 10;
const CR = 13;

/**
 * Calls `onLine(line, offset)` for every line that starts in [start, start + length): the rule that
 * makes splits cut at arbitrary bytes read every line exactly once. A line that starts inside the
 * split is read to its end even past the split. '\n' never occurs inside a UTF-8 multibyte
 * sequence, so lines are cut on bytes and decoded whole. A trailing '\r' is dropped (CRLF files).
 * `.gz` files are one split, decompressed as they stream. Reads in large chunks: one await per
 * chunk, none per line.
 */
export async function readSplitLines(split: SplitRange, onLine: (line: string, offset: number) => void): Promise<LineStats> {
  const gz = split.path.endsWith('.gz');
  const end = gz ? Infinity : split.start + split.length;
  // Start one byte early: if that byte is '\n', a line starts exactly at `start`.
  const from = gz || split.start === 0 ? 0 : split.start - 1;
  let skipFirst = from < split.start;
  if (!gz && split.length === 0) return { bytes: 0, lines: 0 };
  const file = createReadStream(split.path, { start: from, highWaterMark: 1 << 20 });
  const source: Readable = gz ? file.pipe(createGunzip()) : file;
  let carry: Buffer | undefined;
  let base = from; // offset (in the decompressed stream) of data[0]
  let lines = 0;
  let done = false;
  const shift = split.offsetBase ?? 0;
  const emit = (data: Buffer, s: number, e: number) => {
    lines++;
    onLine(data.toString('utf8', s, e > s && data[e - 1] === CR ? e - 1 : e), shift + base + s);
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let i = 0;
      if (skipFirst) {
        const nl = data.indexOf(NL);
        if (nl < 0) {
          base += data.length;
          continue;
        }
        i = nl + 1;
        skipFirst = false;
      }
      for (;;) {
        if (base + i >= end) {
          done = true;
          break;
        }
        const nl = data.indexOf(NL, i);
        if (nl < 0) break;
        emit(data, i, nl);
        i = nl + 1;
      }
      if (done) break;
      if (i < data.length) carry = Buffer.from(data.subarray(i));
      base += i;
    }
    // the last line of a file without a final newline
    if (!done && carry && carry.length > 0 && base < end) {
      emit(carry, 0, carry.length);
    }
  } finally {
    source.destroy();
    file.destroy();
  }
  return { bytes: gz ? file.bytesRead : split.length, lines };
}
