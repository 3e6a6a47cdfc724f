import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The shuffle record format: a stream of records, each
 *   varint keyBytes, key (UTF-8), tag byte, value
 * where tag 0 = string (varint length + UTF-8), 1 = number (float64 LE), 2 = JSON (varint length + UTF-8).
 * No per-record allocation beyond the decoded strings; files are read and written in large chunks.
 */
export type RecordValue = unknown;

const TAG_STRING = 0;
const TAG_NUMBER = 1;
const TAG_JSON = 2;
const FLUSH_BYTES = 1 << 20;

/** Appends encoded records to a growable buffer; flushes to a file descriptor when one is given. */
export class RecordWriter {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  private pos = 0;
  /** Bytes written so far, flushed or not. */
  bytes = 0;
  records = 0;

  constructor(private readonly fd?: number) {}

  write(key: string, value: RecordValue): void {
    const keyLen = Buffer.byteLength(key);
    let tag: number;
    let text = '';
    if (typeof value === 'number') tag = TAG_NUMBER;
    else if (typeof value === 'string') ((tag = TAG_STRING), (text = value));
    else ((tag = TAG_JSON), (text = JSON.stringify(value) ?? 'null'));
    const textLen = tag === TAG_NUMBER ? 0 : Buffer.byteLength(text);
    this.ensure(keyLen + textLen + 20);
    const b = this.buf;
    let p = writeVarint(b, this.pos, keyLen);
    p += b.write(key, p, keyLen, 'utf8');
    b[p++] = tag;
    if (tag === TAG_NUMBER) p = b.writeDoubleLE(value as number, p);
    else {
      p = writeVarint(b, p, textLen);
      p += b.write(text, p, textLen, 'utf8');
    }
    this.bytes += p - this.pos;
    this.pos = p;
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

/**
 * Reads records from a file (in 1 MiB chunks) or a buffer. `next()` advances and fills `key` and
 * `value`; it returns false at the end. A truncated record is an error, never a silent stop.
 */
export class RecordReader {
  key = '';
  value: RecordValue = undefined;
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
    this.buf = initial;
    this.end = initial.length;
    this.eof = fd === undefined;
  }

  static fromBuffer(buf: Buffer, source = 'buffer'): RecordReader {
    return new RecordReader(undefined, buf, source);
  }

  /** Reads `length` bytes of records from `start` (default: the whole file). */
  static fromFile(path: string, start = 0, length = Infinity): RecordReader {
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
    this.need(len);
    const text = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    if (tag === TAG_STRING) this.value = text;
    else if (tag === TAG_JSON) this.value = JSON.parse(text);
    else throw new Error(`${this.source}: corrupt record (tag ${tag})`);
    return true;
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
