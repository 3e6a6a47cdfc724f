import { constants as bufferConstants } from 'node:buffer';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The shuffle record format: a stream of records, each
 *   varint keyBytes, key (UTF-8), tag byte, value
 * where tag 0 = string (varint length + UTF-8), 1 = number (float64 LE), 2 = JSON (varint length + UTF-8),
 * 3 = an array of numbers (varint count + float64 LE each: partial aggregates such as [sum, count],
 * without a JSON.stringify and JSON.parse per record; only arrays JSON would give back equal).
 * No per-record allocation beyond the decoded values; files are read and written in large chunks.
 */
export type RecordValue = unknown;

const TAG_STRING = 0;
const TAG_NUMBER = 1;
const TAG_JSON = 2;
const TAG_NUMBERS = 3;
const FLUSH_BYTES = 1 << 20;
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** Appends encoded records to a growable buffer; flushes to a file descriptor when one is given. */
export class RecordWriter {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  private pos = 0;
  /** Bytes written so far, flushed or not. */
  bytes = 0;
  records = 0;

  constructor(private readonly fd?: number) {}

  write(key: string, value: RecordValue): void {
    const text = valueText(value);
    this.ensure(recordBound(key, value, text));
    const p = writeValueAt(this.buf, writeKeyAt(this.buf, this.pos, key), value, text);
    this.bytes += p - this.pos;
    this.pos = p;
    this.records++;
    if (this.fd !== undefined && this.pos >= FLUSH_BYTES) this.flush();
  }

  /** Appends one already encoded record: bytes [start, end) of `src`. */
  writeRaw(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    const b = this.buf;
    const p = this.pos;
    if (n <= 16) for (let i = 0; i < n; i++) b[p + i] = src[start + i]!;
    else b.set(new Uint8Array(src.buffer, src.byteOffset + start, n), p); // a plain view: half the cost of Buffer#subarray or #copy
    this.pos = p + n;
    this.bytes += n;
    this.records++;
    if (this.fd !== undefined && this.pos >= FLUSH_BYTES) this.flush();
  }

  /** Writes buffered bytes to the file descriptor. */
  flush(): void {
    if (this.fd === undefined || this.pos === 0) return;
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }

  /** The encoded bytes (only for writers without a file descriptor). */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.fd !== undefined) this.flush();
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function writeVarint(b: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  return p;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Strings up to this many UTF-16 units are given 3 bytes a unit of room; longer ones are measured. */
const MEASURE_OVER = 1024;

/** Room for a varint length and the UTF-8 of `text` (at least the exact size, cheap to compute). */
function textBound(text: string): number {
  return 5 + (text.length > MEASURE_OVER ? Buffer.byteLength(text) : 3 * text.length);
}

/**
 * Writes varint(UTF-8 length) + UTF-8 of `text` at p (room: `textBound`); returns the end. The
 * length is guessed from the UTF-16 length (a lower bound), and the bytes moved in the rare case
 * the real length needs a longer varint: one encoding pass, never a separate measuring pass.
 */
function writeTextAt(b: Buffer, p: number, text: string): number {
  const guess = varintSize(text.length);
  const len = b.write(text, p + guess, 'utf8');
  const size = varintSize(len);
  if (size !== guess) b.copyWithin(p + size, p + guess, p + guess + len);
  writeVarint(b, p, len);
  return p + size + len;
}

/**
 * An array encoded as TAG_NUMBERS: every element a finite number other than -0 (JSON would turn
 * NaN and infinities into null and -0 into 0, and the value must read back as JSON gives it).
 */
function isNumberArray(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i]; // a hole reads undefined: not a number
    if (typeof x !== 'number' || !Number.isFinite(x) || (x === 0 && 1 / x < 0)) return false;
  }
  return true;
}

/**
 * What a value is encoded as: the string itself, its JSON, or undefined when it is binary (a
 * number, 8 bytes; an array of numbers, 8 bytes each).
 */
export function valueText(value: RecordValue): string | undefined {
  if (typeof value === 'number') return undefined;
  if (typeof value === 'string') return value;
  if (isNumberArray(value)) return undefined;
  return JSON.stringify(value) ?? 'null';
}

/** At least the byte size of the record of `key` and `value`, whose `valueText` is `text`. */
export function recordBound(key: string, value: RecordValue, text: string | undefined): number {
  if (text !== undefined) return textBound(key) + 1 + textBound(text);
  return textBound(key) + 1 + (typeof value === 'number' ? 8 : 5 + 8 * (value as number[]).length);
}

/**
 * Writes the key part of a record (varint keyBytes, key) at p; returns the end of the key. The
 * caller guarantees `recordBound` bytes of room. Short ASCII keys are copied without a call.
 */
export function writeKeyAt(b: Buffer, p: number, key: string): number {
  const n = key.length;
  if (n < 32) {
    let q = p + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) break;
      b[q++] = c;
    }
    if (i === n) {
      b[p] = n;
      return q;
    }
  }
  return writeTextAt(b, p, key);
}

/** Writes the value part of a record (tag, value) at p, `text` being `valueText(value)`; returns the record's end. */
export function writeValueAt(b: Buffer, p: number, value: RecordValue, text: string | undefined): number {
  if (text === undefined) {
    if (typeof value === 'number') {
      b[p] = TAG_NUMBER;
      return b.writeDoubleLE(value, p + 1);
    }
    const a = value as number[];
    b[p] = TAG_NUMBERS;
    let q = writeVarint(b, p + 1, a.length);
    for (let i = 0; i < a.length; i++) q = b.writeDoubleLE(a[i]!, q);
    return q;
  }
  b[p] = typeof value === 'string' ? TAG_STRING : TAG_JSON;
  return writeTextAt(b, p + 1, text);
}

/** Where the key of the record encoded at p starts (after its length varint). */
export function keyStartOf(b: Uint8Array, p: number): number {
  while (b[p++]! >= 0x80);
  return p;
}

/** Decodes the value of the record whose tag byte (the byte after its key) is at p. */
export function decodeValue(b: Buffer, p: number, source = 'buffer'): RecordValue {
  const tag = b[p++];
  if (tag === TAG_NUMBER) return b.readDoubleLE(p);
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = b[p++]!;
    len += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (tag === TAG_NUMBERS) return readNumbers(b, p, len);
  const text = b.toString('utf8', p, p + len);
  if (tag === TAG_STRING) return text;
  if (tag === TAG_JSON) return JSON.parse(text);
  throw new Error(`${source}: corrupt record (tag ${tag})`);
}

/** `count` float64 LE numbers from b[p..] (a TAG_NUMBERS value) as an array. */
function readNumbers(b: Buffer, p: number, count: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < count; i++) a.push(b.readDoubleLE(p + 8 * i));
  return a;
}

/**
 * Compares bytes [as, ae) of a with [bs, be) of b, as unsigned bytes (shorter first on a common
 * prefix): UTF-8 key order. A loop, not Buffer#compare: keys are short and a call costs more.
 */
export function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = a[as + i]! - b[bs + i]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

/**
 * Reads records from a file (in 1 MiB chunks) or a buffer. `next()` advances and fills `key` and
 * `value`; it returns false at the end. A truncated record is an error, never a silent stop.
 */
export class RecordReader {
  key = '';
  value: RecordValue = undefined;
  /**
   * After `nextRaw()`: the record, undecoded, is bytes [rawStart, rawEnd) of `raw`, its key
   * [keyStart, keyEnd) (valid until the next call).
   */
  raw: Buffer;
  rawStart = 0;
  keyStart = 0;
  keyEnd = 0;
  rawEnd = 0;
  private buf: Buffer;
  private pos = 0;
  private end = 0;
  private eof: boolean;

  private filePos = 0;
  private fileEnd = Infinity;

  private constructor(
    private readonly fd: number | undefined,
    initial: Buffer,
    private readonly source: string,
  ) {
    this.buf = this.raw = initial;
    this.end = initial.length;
    this.eof = fd === undefined;
  }

  static fromBuffer(buf: Buffer, source = 'buffer'): RecordReader {
    return new RecordReader(undefined, buf, source);
  }

  /** Reads `length` bytes of records from `start` (default: the whole file). */
  static fromFile(path: string, start = 0, length = Infinity): RecordReader {
    // an empty range (most of a many-reducer job's segments) holds no descriptor at all
    if (length === 0) return new RecordReader(undefined, Buffer.alloc(0), path);
    const r = new RecordReader(openSync(path, 'r'), Buffer.allocUnsafe(Math.min(FLUSH_BYTES, Math.max(64, length))), path);
    r.end = 0;
    r.filePos = start;
    r.fileEnd = start + length;
    return r;
  }

  close(): void {
    if (this.fd !== undefined && !this.eof) closeSync(this.fd);
    this.eof = true;
  }

  next(): boolean {
    if (this.pos >= this.end && !this.fill(1)) return false;
    const keyLen = this.varint();
    this.need(keyLen + 1);
    const b = this.buf;
    this.key = b.toString('utf8', this.pos, this.pos + keyLen);
    this.pos += keyLen;
    const tag = b[this.pos++];
    if (tag === TAG_NUMBER) {
      this.need(8);
      this.value = this.buf.readDoubleLE(this.pos);
      this.pos += 8;
      return true;
    }
    const len = this.varint();
    if (tag === TAG_NUMBERS) {
      this.need(8 * len);
      this.value = readNumbers(this.buf, this.pos, len);
      this.pos += 8 * len;
      return true;
    }
    this.need(len);
    const text = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    if (tag === TAG_STRING) this.value = text;
    else if (tag === TAG_JSON) this.value = JSON.parse(text);
    else throw new Error(`${this.source}: corrupt record (tag ${tag})`);
    return true;
  }

  /** Advances to the next record without decoding it (see `raw`); false at the end. */
  nextRaw(): boolean {
    if (this.pos >= this.end && !this.fill(1)) return false;
    let len: number;
    while ((len = this.rawLength()) < 0) {
      // the record's header is not all buffered: read on (a short file is a truncated record)
      if (!this.fill(this.end - this.pos + 1)) throw new Error(`${this.source}: truncated record`);
    }
    this.need(len);
    const b = this.buf;
    const p = this.pos;
    this.raw = b;
    this.rawStart = p;
    this.keyStart = keyStartOf(b, p);
    this.keyEnd = this.keyStart + this.rawKeyLength;
    this.rawEnd = this.pos = p + len;
    return true;
  }

  /** Decodes the record `nextRaw` stopped at into `key` and `value`. */
  decodeRaw(): void {
    this.key = this.raw.toString('utf8', this.keyStart, this.keyEnd);
    this.value = decodeValue(this.raw, this.keyEnd, this.source);
  }

  private rawKeyLength = 0;

  /** The byte length of the record at pos, or -1 when its header (up to the value's length) is not all buffered. */
  private rawLength(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let keyLen = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= end) return -1;
      const byte = b[p++]!;
      keyLen += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      if (shift >= 35) throw new Error(`${this.source}: corrupt record (varint)`);
    }
    this.rawKeyLength = keyLen;
    p += keyLen;
    if (p >= end) return -1;
    const tag = b[p++];
    if (tag === TAG_NUMBER) return p + 8 - this.pos;
    if (tag !== TAG_STRING && tag !== TAG_JSON && tag !== TAG_NUMBERS) throw new Error(`${this.source}: corrupt record (tag ${tag})`);
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= end) return -1;
      const byte = b[p++]!;
      len += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      if (shift >= 35) throw new Error(`${this.source}: corrupt record (varint)`);
    }
    // a string's or JSON's byte length, or how many 8-byte numbers
    return p + (tag === TAG_NUMBERS ? 8 * len : len) - this.pos;
  }

  private varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.need(1);
      const byte = this.buf[this.pos++]!;
      n += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return n;
      shift += 7;
      if (shift > 35) throw new Error(`${this.source}: corrupt record (varint)`);
    }
  }

  private need(n: number): void {
    if (this.end - this.pos >= n) return;
    if (!this.fill(n)) throw new Error(`${this.source}: truncated record`);
  }

  /** Tries to have at least n bytes buffered; false when the input ends first. */
  private fill(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.fd === undefined || this.eof) return false;
    if (this.filePos >= this.fileEnd) {
      // the range is read: its descriptor goes now, not when (or if) someone calls close()
      this.close();
      return false;
    }
    // a corrupt length asks for more than is left: a short input, not an allocation that fails
    if (n - (this.end - this.pos) > this.fileEnd - this.filePos || n > MAX_LENGTH) return false;
    const have = this.end - this.pos;
    if (this.buf.length < n) {
      const next = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(next, 0, this.pos, this.end);
      this.buf = next;
    } else {
      this.buf.copy(this.buf, 0, this.pos, this.end);
    }
    this.pos = 0;
    this.end = have;
    while (this.end < n) {
      const want = Math.min(this.buf.length - this.end, this.fileEnd - this.filePos);
      const got = want > 0 ? readSync(this.fd, this.buf, this.end, want, this.filePos) : 0;
      this.filePos += got;
      if (got === 0) {
        closeSync(this.fd);
        this.eof = true;
        // a range that names more bytes than the file holds is a truncated file, not an end
        if (this.fileEnd !== Infinity && this.filePos < this.fileEnd) throw new Error(`${this.source}: truncated (ended at byte ${this.filePos} of ${this.fileEnd})`);
        return this.end >= n;
      }
      this.end += got;
    }
    return true;
  }
}

/** How output files show a value: strings and numbers as String(value), anything else as JSON. */
export function formatValue(value: RecordValue): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}
