import { createReadStream } from 'node:fs';
import { isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MrError } from '@mr/shared/core';

export interface SplitRange {
  path: string;
  start: number;
  length: number;
  /** Added to reported offsets: where `path`'s first byte sits in the real input (bs:// splits are copied locally). */
  offsetBase?: number;
  /** The input as the user named it, for errors (`path` may be a local copy of a bs:// or s3:// split). */
  uri?: string;
}

export interface LineStats {
  /** Bytes of the split this reader consumed (compressed bytes for .gz). */
  bytes: number;
  lines: number;
}

const NL = 10;
const CR = 13;

/**
 * ASCII text is decoded a piece of about this many bytes at a time (cut after a newline), not a
 * whole 1 MiB chunk: a string this size is an ordinary young-generation object, where a 1 MiB
 * one is a large object of its own (fresh pages each time), which measured several times slower
 * to make than the same bytes in 64 KiB pieces.
 */
const PIECE = 1 << 16;
let piece = PIECE;

/** Tests: a small piece size, so that short inputs cross pieces; undefined restores the default. */
export function setPieceForTests(bytes: number | undefined): void {
  piece = bytes ?? PIECE;
}

/**
 * Where the readers hand lines: an object with a method rather than a callback, so that every
 * map attempt's reader loop calls the same function (MapRecords' method), not a new closure per
 * attempt, and one optimized loop with the call inlined serves every attempt of a thread.
 */
export interface LineTarget {
  /**
   * A decoded line (readSplitLines). A returned promise (an async map's) is awaited before the
   * next line; undefined goes straight on, with nothing awaited per line.
   */
  onLine(line: string, offset: number): Promise<void> | undefined;
}

export interface BytesTarget {
  /** A line's bytes buf[start, end) (readSplitLineBytes); valid until a returned promise settles. */
  onBytes(buf: Buffer, start: number, end: number, offset: number): Promise<void> | undefined;
}

/** Hands a reader's lines on: decoded (readSplitLines) or as bytes (readSplitLineBytes). */
interface LineSink {
  /**
   * The whole lines of chunk[i, to], `to` being a '\n' and byte i at `pos + i` of the stream, up
   * to one that starts at `end` or past it; returns how many it read, ~n when it stopped at `end`.
   */
  piece(chunk: Buffer, i: number, to: number, pos: number, end: number): number;
  /** One line: buf[s, e) without its '\n' (a trailing CR still there), at `offset`; the target's promise, if any. */
  line(buf: Buffer, s: number, e: number, offset: number): Promise<void> | undefined;
  /**
   * Set by `piece` when the target returned a promise for a line: `piece` stopped after that line
   * (counted in what it returned), and the reader awaits this, then goes on at chunk index `resumeAt`.
   */
  wait: Promise<void> | undefined;
  resumeAt: number;
}

/** e, or e - 1 when the line buf[s, e) ends with a CR (CRLF files). */
function withoutCr(buf: Buffer, s: number, e: number): number {
  return e > s && buf[e - 1] === CR ? e - 1 : e;
}

/** ASCII pieces decoded a piece at a time and cut into lines as a string; other pieces line by line. */
class TextSink implements LineSink {
  wait: Promise<void> | undefined = undefined;
  resumeAt = 0;

  constructor(private readonly target: LineTarget, private readonly shift: number) {}

  piece(chunk: Buffer, i: number, to: number, pos: number, end: number): number {
    if (isAscii(chunk.subarray(i, to))) return this.ascii(chunk.toString('latin1', i, to + 1), i, pos + i, end);
    let n = 0;
    for (let j = i; j <= to; n++) {
      if (pos + j >= end) return ~n;
      const nl = chunk.indexOf(NL, j);
      const wait = this.target.onLine(chunk.toString('utf8', j, withoutCr(chunk, j, nl)), this.shift + pos + j);
      j = nl + 1;
      if (wait !== undefined) return this.suspend(wait, j, n);
    }
    return n;
  }

  /** The lines of a decoded ASCII piece, chunk[i..] at byte `base` of the stream (a char a byte). */
  private ascii(text: string, i: number, base: number, end: number): number {
    let n = 0;
    for (let j = 0; j < text.length; n++) {
      if (base + j >= end) return ~n;
      const nl = text.indexOf('\n', j);
      const wait = this.target.onLine(text.slice(j, nl > j && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl), this.shift + base + j);
      j = nl + 1;
      if (wait !== undefined) return this.suspend(wait, i + j, n);
    }
    return n;
  }

  /** Stops the piece after line n, whose call returned `wait`; the reader resumes at chunk index `at`. */
  private suspend(wait: Promise<void>, at: number, n: number): number {
    this.wait = wait;
    this.resumeAt = at;
    return n + 1;
  }

  line(buf: Buffer, s: number, e: number, offset: number): Promise<void> | undefined {
    return this.target.onLine(buf.toString('utf8', s, withoutCr(buf, s, e)), this.shift + offset);
  }
}

/**
 * Lines as bytes, their ends found by Buffer#indexOf (memchr: ~25 ns a 114-byte flow-log line,
 * where a byte loop took ~115 ns and made steady map CPU ~20% higher); a latin1 copy to search as
 * a string is garbage.
 */
class BytesSink implements LineSink {
  wait: Promise<void> | undefined = undefined;
  resumeAt = 0;

  constructor(private readonly target: BytesTarget, private readonly shift: number) {}

  piece(chunk: Buffer, i: number, to: number, pos: number, end: number): number {
    let n = 0;
    for (let j = i; j <= to; n++) {
      if (pos + j >= end) return ~n;
      const nl = chunk.indexOf(NL, j); // `to` at the latest
      const wait = this.target.onBytes(chunk, j, withoutCr(chunk, j, nl), this.shift + pos + j);
      j = nl + 1;
      if (wait !== undefined) {
        this.wait = wait;
        this.resumeAt = j;
        return n + 1;
      }
    }
    return n;
  }

  line(buf: Buffer, s: number, e: number, offset: number): Promise<void> | undefined {
    return this.target.onBytes(buf, s, withoutCr(buf, s, e), this.shift + offset);
  }
}

/**
 * Calls `target.onLine(line, offset)` for every line that starts in [start, start + length): the
 * rule that makes splits cut at arbitrary bytes read every line exactly once. A line that starts
 * inside the split is read to its end even past the split. '\n' never occurs inside a UTF-8
 * multibyte sequence, so lines are cut on bytes and decoded whole. A trailing '\r' is dropped
 * (CRLF files). `.gz` files are one split, decompressed as they stream. Reads in large chunks:
 * one await per chunk, none per line; ASCII text (most logs) is decoded a piece (PIECE) at a time
 * and cut into lines as a string, other pieces line by line. Only a line that crosses two chunks
 * is copied. When the target returns a promise for a line (an async map), the reader awaits it
 * before the next line, and from then on decodes a line at a time (a piece would be decoded again
 * after every wait).
 */
export function readSplitLines(split: SplitRange, target: LineTarget): Promise<LineStats> {
  return readSplit(split, new TextSink(target, split.offsetBase ?? 0));
}

/**
 * readSplitLines without decoding: `target.onBytes(buf, start, end, offset)` gets each line as
 * the bytes buf[start, end) (no line break, a trailing CR dropped), in the read chunk: valid only
 * during the call. Same lines, same offsets.
 */
export function readSplitLineBytes(split: SplitRange, target: BytesTarget): Promise<LineStats> {
  return readSplit(split, new BytesSink(target, split.offsetBase ?? 0));
}

/** A file's first line is looked for in this many (decompressed) bytes at most. */
export const MAX_FIRST_LINE_BYTES = 1 << 20;

/**
 * The first line in `chunks` (the start of a file), without its line break (a trailing CR
 * dropped); undefined when there is none (empty) or no line break comes within
 * MAX_FIRST_LINE_BYTES (the reader then meets the line itself). Reads only as far as the line goes.
 */
export async function firstLineOf(chunks: AsyncIterable<Buffer>): Promise<string | undefined> {
  const seen: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const nl = chunk.indexOf(NL);
    seen.push(nl < 0 ? chunk : chunk.subarray(0, nl));
    size += chunk.length;
    if (nl >= 0) break;
    if (size >= MAX_FIRST_LINE_BYTES) return undefined;
  }
  if (size === 0) return undefined;
  // up to a line break, or a whole file of one line without one
  const line = Buffer.concat(seen);
  return line.toString('utf8', 0, withoutCr(line, 0, line.length));
}

/** firstLineOf a local file, decompressed for `.gz`. */
export async function readFirstLine(path: string): Promise<string | undefined> {
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  const source: Readable = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  try {
    return await firstLineOf(source as AsyncIterable<Buffer>);
  } finally {
    source.destroy();
    file.destroy();
  }
}

/** The split reading both readers share: chunks, the split's first and last line, lines across chunks. */
async function readSplit(split: SplitRange, sink: LineSink): Promise<LineStats> {
  const gz = split.path.endsWith('.gz');
  const end = gz ? Infinity : split.start + split.length;
  // Start one byte early: if that byte is '\n', a line starts exactly at `start`.
  const from = gz || split.start === 0 ? 0 : split.start - 1;
  let skipFirst = from < split.start;
  if (!gz && split.length === 0) return { bytes: 0, lines: 0 };
  const file = createReadStream(split.path, { start: from, highWaterMark: 1 << 20 });
  const source: Readable = gz ? file.pipe(createGunzip()) : file;
  let lines = 0;
  let pos = from; // offset (in the decompressed stream) of the current chunk's first byte
  let carry: Buffer | undefined; // the start of a line that began in an earlier chunk...
  let carryAt = 0; // ...at this offset
  let done = false;
  // set once the target has returned a promise: pieces of one line from then on
  let awaiting = false;
  const emit = (data: Buffer, s: number, e: number, offset: number) => {
    lines++;
    return sink.line(data, s, e, offset);
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let i = 0;
      if (skipFirst) {
        const nl = chunk.indexOf(NL);
        if (nl < 0) {
          pos += chunk.length;
          continue;
        }
        i = nl + 1;
        skipFirst = false;
      } else if (carry) {
        const nl = chunk.indexOf(NL);
        if (nl < 0) {
          carry = Buffer.concat([carry, chunk]);
          pos += chunk.length;
          continue;
        }
        if (carryAt >= end) {
          done = true;
          break;
        }
        const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
        carry = undefined;
        const wait = emit(line, 0, line.length, carryAt);
        if (wait !== undefined) {
          awaiting = true;
          await wait;
        }
        i = nl + 1;
      }
      const last = chunk.lastIndexOf(NL);
      // whole lines in [i, last], a piece of at most about PIECE bytes at a time (see PIECE)
      while (i <= last && !done) {
        let to = awaiting ? chunk.indexOf(NL, i) : i + piece >= last ? last : chunk.lastIndexOf(NL, i + piece);
        if (to < i) to = chunk.indexOf(NL, i + piece); // a line longer than a piece
        const n = sink.piece(chunk, i, to, pos, end);
        if (n < 0) done = true;
        lines += n < 0 ? ~n : n;
        i = to + 1;
        const wait = sink.wait;
        if (wait !== undefined) {
          sink.wait = undefined;
          awaiting = true;
          await wait;
          i = sink.resumeAt;
        }
      }
      if (done) break;
      if (i < chunk.length) {
        if (pos + i >= end) {
          done = true;
          break;
        }
        carry = Buffer.from(chunk.subarray(i)); // a copy: the chunk itself is not kept alive
        carryAt = pos + i;
      }
      pos += chunk.length;
    }
    // Read exactly the planned range: a file that ends before it was truncated (or replaced) since
    // the job was planned, and reading what is left would give a smaller result with no error
    if (!gz && !done && pos < end) {
      throw new MrError('MR_ERR_INPUT_CHANGED', `input ${split.uri ?? split.path} changed while the job ran: it ends at byte ${pos}, before the planned split end ${end} (${split.start}+${split.length})`);
    }
    // the last line of a file without a final newline
    if (!done && carry && carry.length > 0 && carryAt < end) await emit(carry, 0, carry.length, carryAt);
  } catch (e) {
    // zlib's and fs's own words name no file: a truncated .gz says only 'unexpected end of file'
    const err = e as NodeJS.ErrnoException;
    if (gz && err.code?.startsWith('Z_')) {
      throw new MrError('MR_ERR_INPUT_UNREADABLE', `input ${split.uri ?? split.path} is not a valid gzip file (${err.message}, after ${file.bytesRead} compressed bytes)`, { cause: e });
    }
    if (err.syscall !== undefined) throw new MrError('MR_ERR_INPUT_UNREADABLE', `input ${split.uri ?? split.path} could not be read (${err.message})`, { cause: e });
    throw e;
  } finally {
    source.destroy();
    file.destroy();
  }
  return { bytes: gz ? file.bytesRead : split.length, lines };
}
