/**
 * What `mr validate sort` checks, over bytes (pure: the CLI reads the locations and feeds chunks):
 * the output's keys never decrease across part-00000 .. part-(R-1), and the output holds the
 * input's records: the same count and the same order-independent checksum (the sum mod 2^64 of a
 * 64-bit hash of each record, like TeraValidate's sum of CRCs).
 *
 * A record is an input line without its line break (and without a trailing '\r', as the engine
 * reads lines). In the output it is `key<TAB>value`, the key being the record's first 10 bytes or
 * fewer (sort.ts): the record is the line without that TAB, which is the last TAB among the line's
 * first SORT_KEY_BYTES + 1 bytes (a shorter key is followed by the end of the record or by a
 * character too long to fit in the key, so no TAB of the value is that early).
 */
import { SORT_KEY_BYTES } from './sort.js';

const CR = 13;
const TAB = 9;
/** A key and its TAB lie within an output line's first HEAD bytes. */
const HEAD = SORT_KEY_BYTES + 1;

// A record's hash: two 32-bit lanes, FNV-1a-like with different primes (0x01000193 and
// 0x5bd1e995) over its bytes from 0x811c9dc5 and 0x3c6ef372, each finalised (the second with the
// first mixed in). Computed while scanning for line ends, one byte at a time: faster than a native
// indexOf per line. The hot loops spell the numbers out: V8 does not fold an ES module's consts
// (hole checks), and that halves their speed.
const A0 = 0x811c9dc5 | 0;
const B0 = 0x3c6ef372;

/** fmix32, murmur3's finaliser. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const TWO32 = 4294967296;

/** Count and order-independent checksum of records: the sum mod 2^64 of a 64-bit hash of each. */
export class RecordSum {
  /**
   * The sum's low and high 32 bits, records, bytes: numbers that outgrow small integers, kept in a
   * typed array so that no object field changes representation (which deoptimises the hot loops).
   */
  private readonly s = new Float64Array(4);

  get records(): number {
    return this.s[2]!;
  }

  get bytes(): number {
    return this.s[3]!;
  }

  /** Adds a record of `n` bytes whose lanes ended at `a`, `b`. */
  add(a: number, b: number, n: number): void {
    const s = this.s;
    const h1 = fmix(a ^ n);
    s[0] = s[0]! + h1;
    s[1] = s[1]! + fmix((b + h1) | 0);
    s[3] = s[3]! + n;
    // the halves stay exact doubles: carry long before 2^53
    if (((s[2] = s[2]! + 1) & 0xfffff) === 0) this.carry();
  }

  private carry(): void {
    const s = this.s;
    const c = Math.floor(s[0]! / TWO32);
    s[0] = s[0]! - c * TWO32;
    s[1] = (s[1]! + c) % TWO32;
  }

  /** 16 hex digits. */
  get checksum(): string {
    this.carry();
    return this.s[1]!.toString(16).padStart(8, '0') + this.s[0]!.toString(16).padStart(8, '0');
  }
}

/** The records (lines) of input files: `push` each file's chunks, then `endFile()`. */
export class InputRecords {
  readonly sum = new RecordSum();
  /** The current record's hash lanes and length so far, across chunks (typed: see RecordSum.s). */
  private readonly lane = Int32Array.of(A0, B0, 0);
  /** A '\r' not yet hashed: dropped if the line ends right after it (CRLF), as the engine reads lines. */
  private cr = false;

  push(chunk: Buffer): void {
    // CRLF lines are rare: a chunk without '\r' takes the plain loop
    if (this.cr || chunk.indexOf(CR) >= 0) return this.pushCr(chunk);
    let a = this.lane[0]!;
    let b = this.lane[1]!;
    let start = -this.lane[2]!;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 10) {
        this.sum.add(a, b, i - start);
        a = 0x811c9dc5 | 0;
        b = 0x3c6ef372;
        start = i + 1;
      } else {
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x5bd1e995);
      }
    }
    this.lane[0] = a;
    this.lane[1] = b;
    this.lane[2] = chunk.length - start;
  }

  /** As push, for a chunk with '\r' in it: each one is hashed when the next byte is not '\n'. */
  private pushCr(chunk: Buffer): void {
    let a = this.lane[0]!;
    let b = this.lane[1]!;
    let n = this.lane[2]!;
    let cr = this.cr;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 10) {
        this.sum.add(a, b, n);
        a = 0x811c9dc5 | 0;
        b = 0x3c6ef372;
        n = 0;
        cr = false;
      } else {
        if (cr) {
          a = Math.imul(a ^ 13, 0x01000193);
          b = Math.imul(b ^ 13, 0x5bd1e995);
          n++;
        }
        cr = c === CR;
        if (!cr) {
          a = Math.imul(a ^ c, 0x01000193);
          b = Math.imul(b ^ c, 0x5bd1e995);
          n++;
        }
      }
    }
    this.lane[0] = a;
    this.lane[1] = b;
    this.lane[2] = n;
    this.cr = cr;
  }

  /** The file ended: a last line without '\n' is a record too. */
  endFile(): void {
    if (this.lane[2]! > 0 || this.cr) this.sum.add(this.lane[0]!, this.lane[1]!, this.lane[2]!);
    this.lane[0] = A0;
    this.lane[1] = B0;
    this.lane[2] = 0;
    this.cr = false;
  }
}

/** Where the output is first out of order or malformed (1-based line within its part). */
export interface SortViolation {
  part: string;
  line: number;
  message: string;
}

/** The output's records, part by part in order: `startPart(name)`, `push` its chunks, `endPart()`. */
export class SortedOutput {
  readonly sum = new RecordSum();
  /** The first problem found; checking stops there. */
  violation: SortViolation | undefined;
  private part = '';
  private line = 0;
  /** The current line's first bytes, up to HEAD: its key and the TAB after it. */
  private readonly head = Buffer.alloc(HEAD);
  private headLength = 0;
  /** The current record's hash lanes and length so far, across chunks (typed: see RecordSum.s). */
  private readonly lane = Int32Array.of(A0, B0, 0);
  private readonly prev = Buffer.alloc(SORT_KEY_BYTES);
  private prevLength = -1;
  private prevPart = '';
  private prevLine = 0;

  startPart(name: string): void {
    this.part = name;
    this.line = 0;
  }

  push(chunk: Buffer): void {
    if (this.violation) return;
    const head = this.head;
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      if (this.headLength < HEAD) {
        let h = this.headLength;
        for (; i < len && h < HEAD; i++) {
          const c = chunk[i]!;
          if (c === 10) break;
          head[h++] = c;
        }
        this.headLength = h;
        if (h === HEAD && !this.key()) return;
        if (i === len) return;
      }
      let a = this.lane[0]!;
      let b = this.lane[1]!;
      const from = i;
      for (; i < len; i++) {
        const c = chunk[i]!;
        if (c === 10) break;
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x5bd1e995);
      }
      this.lane[0] = a;
      this.lane[1] = b;
      this.lane[2] = this.lane[2]! + i - from;
      if (i === len) return;
      if (!this.endLine()) return;
      i++;
    }
  }

  endPart(): void {
    if (!this.violation && this.headLength > 0) this.endLine();
  }

  /** The line ended (its lanes are in this.lane). False on a violation. */
  private endLine(): boolean {
    this.line++;
    if (this.headLength < HEAD && !this.key()) return false;
    this.sum.add(this.lane[0]!, this.lane[1]!, this.lane[2]!);
    this.headLength = 0;
    this.lane[0] = A0;
    this.lane[1] = B0;
    this.lane[2] = 0;
    return true;
  }

  /**
   * The head is complete (or the line ended): finds the key's TAB, checks the key's order, and
   * starts the record's lanes with the head's bytes but that TAB. False on a violation.
   */
  private key(): boolean {
    const head = this.head;
    const len = this.headLength;
    let tab = len - 1;
    while (tab >= 0 && head[tab] !== TAB) tab--;
    const line = this.headLength < HEAD ? this.line : this.line + 1;
    if (tab < 0) {
      this.violation = { part: this.part, line, message: `not a key<TAB>value line: it starts ${show(head, 0, len)}` };
      return false;
    }
    if (this.prevLength >= 0 && compareBytes(head, tab, this.prev, this.prevLength) < 0) {
      const where = this.prevPart === this.part ? `line ${this.prevLine}` : `the last key of ${this.prevPart}`;
      this.violation = { part: this.part, line, message: `key ${show(head, 0, tab)} sorts before the previous key ${show(this.prev, 0, this.prevLength)} (${where})` };
      return false;
    }
    head.copy(this.prev, 0, 0, tab);
    this.prevLength = tab;
    this.prevPart = this.part;
    this.prevLine = line;
    let a = A0;
    let b = B0;
    for (let i = 0; i < len; i++) {
      if (i === tab) continue;
      a = Math.imul(a ^ head[i]!, 0x01000193);
      b = Math.imul(b ^ head[i]!, 0x5bd1e995);
    }
    this.lane[0] = a;
    this.lane[1] = b;
    this.lane[2] = len - 1;
    return true;
  }
}

/** Compares a[0, aLen) with b[0, bLen) bytewise. */
function compareBytes(a: Buffer, aLen: number, b: Buffer, bLen: number): number {
  const n = Math.min(aLen, bLen);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

const show = (buf: Buffer, start: number, end: number) => JSON.stringify(buf.toString('utf8', start, end));
