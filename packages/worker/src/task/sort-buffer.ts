import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareBytes, decodeValue, keyStartOf, recordBound, RecordReader, RecordWriter, valueText, writeKeyAt, writeValueAt } from '@mr/shared/core';
import { RawMerge, type RawSource } from './merge.js';

type Combine = (key: string, values: unknown[]) => unknown;

/**
 * Bytes of index a record costs: its key's start and end and its end in the data (u32 each), its
 * partition (i32), its 8-byte slot in the sort and a byte marking where a new key starts.
 */
const INDEX_BYTES = 25;
/** A sort slot is a u64: high word = 4 key bytes (big-endian), low word = (key bytes in the digit, 0..4) << 29 | record id. */
const ID_BITS = 29;
const ID_MASK = (1 << ID_BITS) - 1;
/** Offsets are u32 and ids 29 bits: a larger --sort-buffer-mb spills every 2 GiB. */
const MAX_BYTES = 2 ** 31;
/**
 * What the buffer starts with, grown GROWTH-fold as records come, up to the limit (each growth
 * copies, and the copy's pages are touched afresh: fewer, larger steps touch less memory).
 */
const FIRST_BYTES = 256 * 1024;
const GROWTH = 4;
/** Ranges up to this many records are insertion-sorted on their bytes rather than on digits. */
const SMALL = 16;
/** Which 32-bit word of a u64 is its low word (every platform Node runs on is little-endian, but be sure). */
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** A buffer's memory, kept by its thread for the next map attempt (see `spare`). */
interface Storage {
  data: Buffer;
  cap: number;
  keyStart: Uint32Array;
  keyEnd: Uint32Array;
  recEnd: Uint32Array;
  part: Int32Array;
  slots: BigUint64Array;
  newKey: Uint8Array;
}

/**
 * The last finished buffer's memory, reused by the thread's next map attempt: fresh memory costs a
 * page fault on first touch (about 4 ms a MB on the 2-core development VM: 0.3 s for a 64 MB
 * buffer and its index, per attempt). Dropped after SPARE_KEPT_MS unused.
 */
let spare: Storage | undefined;
let spareTimer: NodeJS.Timeout | undefined;
const SPARE_KEPT_MS = 30_000;

/**
 * Combiner jobs hold recent keys' values as objects first (see `hold`): a share of the limit, at
 * most HELD_MAX_BYTES, estimated as the JS heap they take. Values of one key are folded once
 * COMBINE_EVERY have piled up.
 */
const HELD_SHARE = 1 / 4;
const HELD_MAX_BYTES = 16 * 1024 * 1024;
const COMBINE_EVERY = 64;
/**
 * Holding pays only when keys repeat within the held window. After this many held records, a
 * buffer that saw fewer than one repeat in HOLD_MIN_REPEAT_SHARE stops holding: its records go
 * straight to the buffer, where the spill still combines equal keys. A job that combines in the
 * mapper itself (flowlogs, wordcount) emits each key once, and holding cost it a Map entry, an
 * array and a lookup per record for nothing.
 */
const HOLD_PROBE = 1_024;
const HOLD_MIN_REPEAT_SHARE = 1 / 16;
/** Rough heap cost of a held key and of one held value, past their strings. */
const KEY_OVERHEAD = 96;
const VALUE_OVERHEAD = 16;

/** Rough heap size of a value past its overhead: strings, and arrays (two levels deep, e.g. partial aggregates with value sets). */
function valueBytes(v: unknown, depth: number): number {
  if (typeof v === 'string') return 2 * v.length;
  if (Array.isArray(v)) {
    if (depth >= 2) return 8 * v.length;
    let n = 8 * v.length;
    for (const x of v) n += valueBytes(x, depth + 1);
    return n;
  }
  return typeof v === 'object' && v !== null ? 64 : 0;
}

interface Held {
  partition: number;
  values: unknown[];
  bytes: number;
}

/**
 * The map side's bounded buffer (design.md, step 2), Hadoop-style: records are appended, encoded
 * as on disk (codec.ts), to one data Buffer, with a typed-array index (key start/end, record end,
 * partition). No object per record. When data + index would pass `limitBytes` (the real bytes of
 * both), the records are sorted by (partition, key bytes) and written as one run on disk (a spill
 * file holding the partitions back to back), combined first when the job has a combiner (groups of
 * equal keys). `finish` sorts what is left and merges it with the runs (raw bytes, never decoded
 * unless combined) into one output file holding the partitions back to back. A combiner job's
 * records pass through a small table of recent keys first (`hold`): repeated keys are folded
 * there, as objects.
 *
 * The sort: a counting sort by partition, then per partition an MSD sort on 4-byte digits: each
 * record's slot packs the next 4 key bytes, how many of them exist, and the record id into a u64,
 * and the slots are sorted natively (BigUint64Array#sort); slots with equal digits are sorted
 * again on the bytes past their common prefix. Equal keys keep their arrival order.
 */
export class SortBuffer {
  private data: Buffer = Buffer.allocUnsafe(0);
  /** Bytes of `data` in use, and records held. */
  private pos = 0;
  private n = 0;
  /** Records the index has room for. */
  private cap = 0;
  private keyStart: Uint32Array = new Uint32Array(0);
  private keyEnd: Uint32Array = new Uint32Array(0);
  private recEnd: Uint32Array = new Uint32Array(0);
  private part: Int32Array = new Int32Array(0);
  private slots: BigUint64Array = new BigUint64Array(0);
  /** With a combiner, after `sort()`: 1 at a slot whose key differs from the previous slot's (groups without reading keys again). */
  private newKey: Uint8Array = new Uint8Array(0);
  private words: Uint32Array = new Uint32Array(0); // the slots as 32-bit words
  /** After `sort()`: partition p's records in key order are slots [partStart[p], partStart[p + 1]). */
  private readonly partStart: Int32Array;
  private readonly cursor: Int32Array;
  private readonly stack: number[] = [];
  private readonly limit: number;
  private readonly runs: { file: string; offsets: number[] }[] = [];
  /** Combiner jobs: recent keys' values, not yet in the buffer (see `hold`). */
  private readonly held = new Map<string, Held>();
  private heldBytes = 0;
  /** Records still go through `hold` (a combiner job, until HOLD_PROBE shows keys do not repeat). */
  private holding: boolean;
  private heldRecords = 0;
  private heldRepeats = 0;
  private readonly heldLimit: number;
  records = 0;
  combineInput = 0;

  constructor(
    private readonly numPartitions: number,
    private readonly combine: Combine | undefined,
    limitBytes: number,
    private readonly workDir: string,
    /** false: no holding at all (an earlier attempt of the job in this thread found that keys do not repeat). */
    hold = true,
  ) {
    const limit = Math.min(Math.max(limitBytes, 0), MAX_BYTES);
    this.heldLimit = combine ? Math.min(Math.floor(limit * HELD_SHARE), HELD_MAX_BYTES) : 0;
    this.holding = combine !== undefined && hold;
    this.limit = limit - this.heldLimit;
    this.partStart = new Int32Array(numPartitions + 1);
    this.cursor = new Int32Array(numPartitions);
    if (spare && spare.data.length + spare.cap * INDEX_BYTES <= this.limit) {
      this.use(spare);
      spare = undefined;
      clearTimeout(spareTimer);
    }
  }

  /** It held records at first and stopped: keys did not repeat (see HOLD_PROBE). */
  get stoppedHolding(): boolean {
    return this.combine !== undefined && !this.holding && this.heldRecords > 0;
  }

  get spills(): number {
    return this.runs.length;
  }

  /**
   * Bytes the buffer holds allocated (data and index): at most the limit (less the held values'
   * share, for a combiner job), unless one record alone is larger.
   */
  get memoryBytes(): number {
    return this.data.length + this.cap * INDEX_BYTES;
  }

  add(partition: number, key: string, value: unknown): void {
    this.records++;
    if (this.holding) this.hold(partition, key, value);
    else this.append(partition, key, value);
  }

  /**
   * A combiner job's record: held with its key's other recent values, folded by the combiner every
   * COMBINE_EVERY of them, so a key repeated within a map (an inverted index's words, grep's lines)
   * costs neither buffer bytes nor an encode/decode per record. Past heldLimit, all go to the
   * buffer (a key with several values as their combination), where equal keys are combined again
   * when spilled.
   */
  private hold(partition: number, key: string, value: unknown): void {
    const combine = this.combine!;
    let h = this.held.get(key);
    if (h === undefined) {
      h = { partition, values: [], bytes: KEY_OVERHEAD + 2 * key.length };
      this.held.set(key, h);
      this.heldBytes += h.bytes;
    } else this.heldRepeats++;
    h.values.push(value);
    const bytes = VALUE_OVERHEAD + valueBytes(value, 0);
    h.bytes += bytes;
    this.heldBytes += bytes;
    if (h.values.length >= COMBINE_EVERY) {
      this.combineInput += h.values.length;
      const combined = combine(key, h.values);
      h.values = [combined];
      const now = KEY_OVERHEAD + 2 * key.length + VALUE_OVERHEAD + valueBytes(combined, 0);
      this.heldBytes += now - h.bytes;
      h.bytes = now;
    }
    if (this.heldBytes > this.heldLimit) this.release();
    if (++this.heldRecords === HOLD_PROBE && this.heldRepeats < HOLD_PROBE * HOLD_MIN_REPEAT_SHARE) {
      this.release();
      this.holding = false;
    }
  }

  /** Moves the held values into the buffer: one record per key (combined when it has several). */
  private release(): void {
    const combine = this.combine!;
    for (const [key, h] of this.held) {
      if (h.values.length === 1) this.append(h.partition, key, h.values[0]);
      else {
        this.combineInput += h.values.length;
        this.append(h.partition, key, combine(key, h.values));
      }
    }
    this.held.clear();
    this.heldBytes = 0;
  }

  /** Encodes a record into the buffer (spilling first when it is full). */
  private append(partition: number, key: string, value: unknown): void {
    const text = valueText(value);
    const bound = recordBound(key, value, text);
    if (this.pos + bound > this.data.length || this.n === this.cap) this.makeRoom(bound);
    const d = this.data;
    const i = this.n++;
    const p = this.pos;
    const ke = writeKeyAt(d, p, key);
    this.keyStart[i] = keyStartOf(d, p);
    this.keyEnd[i] = ke;
    this.pos = this.recEnd[i] = writeValueAt(d, ke, value, text);
    this.part[i] = partition;
  }

  /** Writes the output file; returns the byte length of each partition in it. */
  finish(outFile: string): number[] {
    const fd = openSync(outFile, 'w');
    const w = new RecordWriter(fd);
    const sizes: number[] = [];
    try {
      if (this.held.size > 0) this.release();
      this.sort();
      for (let p = 0; p < this.numPartitions; p++) {
        const before = w.bytes;
        if (this.runs.length === 0) this.writePartition(p, w);
        else this.mergePartition(p, w);
        sizes.push(w.bytes - before);
      }
      w.flush();
    } finally {
      closeSync(fd);
      for (const run of this.runs) rmSync(run.file, { force: true });
    }
    if (this.memoryBytes <= this.limit && this.cap > 0) {
      const { data, cap, keyStart, keyEnd, recEnd, part, slots, newKey } = this;
      spare = { data, cap, keyStart, keyEnd, recEnd, part, slots, newKey };
      clearTimeout(spareTimer);
      spareTimer = setTimeout(() => (spare = undefined), SPARE_KEPT_MS).unref();
    }
    this.use({ data: Buffer.allocUnsafe(0), cap: 0, keyStart: new Uint32Array(0), keyEnd: new Uint32Array(0), recEnd: new Uint32Array(0), part: new Int32Array(0), slots: new BigUint64Array(0), newKey: new Uint8Array(0) });
    this.n = this.pos = 0;
    return sizes;
  }

  private use(s: Storage): void {
    this.data = s.data;
    this.cap = s.cap;
    this.keyStart = s.keyStart;
    this.keyEnd = s.keyEnd;
    this.recEnd = s.recEnd;
    this.part = s.part;
    this.slots = s.slots;
    this.newKey = s.newKey;
    this.words = new Uint32Array(s.slots.buffer);
  }

  /**
   * Makes room for one more record of at most `bound` bytes: grows data and index together (in the
   * proportion the records so far need), within the limit, or spills. A record alone larger than
   * the limit still gets in (and goes out with the next spill).
   */
  private makeRoom(bound: number): void {
    for (;;) {
      const wantCap = this.n + 1;
      const wantData = this.pos + bound;
      if (wantCap <= this.cap && wantData <= this.data.length) return;
      // GROWTH times the size (at most the limit), split in the proportion of the records so far
      const total = Math.min(Math.max(GROWTH * this.memoryBytes, FIRST_BYTES), this.limit);
      const perRecord = (this.n > 0 ? this.pos / this.n : bound) + INDEX_BYTES;
      let cap = Math.max(this.cap, Math.floor(total / perRecord));
      let len = Math.max(this.data.length, total - cap * INDEX_BYTES);
      // the records changed size: the part still short doubles, or takes the room left
      if (cap < wantCap) cap = Math.max(wantCap, Math.min(2 * this.cap, Math.floor((this.limit - len) / INDEX_BYTES)));
      if (len < wantData) len = Math.max(wantData, Math.min(2 * this.data.length, this.limit - cap * INDEX_BYTES));
      if (len + cap * INDEX_BYTES > this.limit && this.n > 0) {
        this.spill();
        continue;
      }
      if (cap > this.cap) this.growIndex(cap);
      if (len > this.data.length) {
        const next = Buffer.allocUnsafe(len);
        if (this.pos > 0) next.set(this.data.subarray(0, this.pos));
        this.data = next;
      }
      return;
    }
  }

  private growIndex(cap: number): void {
    const n = this.n;
    const grow = <T extends Uint32Array | Int32Array>(old: T, next: T): T => {
      next.set(old.subarray(0, n));
      return next;
    };
    this.keyStart = grow(this.keyStart, new Uint32Array(cap));
    this.keyEnd = grow(this.keyEnd, new Uint32Array(cap));
    this.recEnd = grow(this.recEnd, new Uint32Array(cap));
    this.part = grow(this.part, new Int32Array(cap));
    this.slots = new BigUint64Array(cap);
    this.newKey = new Uint8Array(cap);
    this.words = new Uint32Array(this.slots.buffer);
    this.cap = cap;
  }

  private spill(): void {
    this.sort();
    const file = join(this.workDir, `spill-${this.runs.length}`);
    const offsets: number[] = [];
    const fd = openSync(file, 'w');
    try {
      const w = new RecordWriter(fd);
      for (let p = 0; p < this.numPartitions; p++) {
        offsets.push(w.bytes);
        this.writePartition(p, w);
      }
      offsets.push(w.bytes);
      w.flush();
    } finally {
      closeSync(fd);
    }
    this.runs.push({ file, offsets });
    this.n = 0;
    this.pos = 0;
    // a record larger than the limit made the data grow past it: let it go
    if (this.memoryBytes > this.limit) this.data = Buffer.allocUnsafe(0);
  }

  /** Sorts the records held by partition, then key bytes, then arrival (see partStart). */
  private sort(): void {
    const n = this.n;
    const R = this.numPartitions;
    const start = this.partStart;
    const part = this.part;
    start.fill(0);
    for (let i = 0; i < n; i++) start[part[i]! + 1]!++;
    for (let p = 0; p < R; p++) start[p + 1]! += start[p]!;
    const cursor = this.cursor;
    cursor.set(start.subarray(0, R));
    const w = this.words;
    for (let i = 0; i < n; i++) w[2 * cursor[part[i]!]!++ + LO] = i;
    for (let p = 0; p < R; p++) this.sortRange(start[p]!, start[p + 1]!, 0);
  }

  /**
   * Sorts slots [lo, hi) (whose keys share their first `depth` bytes) by key bytes, then id. Ties
   * on a digit go on a stack, not into recursion: keys sharing long prefixes cannot overflow it.
   */
  private sortRange(lo: number, hi: number, depth: number): void {
    const stack = this.stack;
    const w = this.words;
    const marks = this.combine !== undefined;
    const newKey = this.newKey;
    for (;;) {
      if (hi - lo <= SMALL) this.insertionSort(lo, hi, depth, marks);
      else {
        for (let j = lo; j < hi; j++) this.setDigit(j, w[2 * j + LO]! & ID_MASK, depth);
        this.slots.subarray(lo, hi).sort();
        // runs of equal digits: keys equal so far; with 4 bytes in the digit, more may follow
        let gs = lo;
        for (let j = lo + 1; j <= hi; j++) {
          if (j < hi && w[2 * j + HI] === w[2 * gs + HI] && w[2 * j + LO]! >>> ID_BITS === w[2 * gs + LO]! >>> ID_BITS) continue;
          // [gs, j): one key (fewer than 4 bytes left, or all equal), or sorted further on the stack
          if (marks) newKey[gs] = 1;
          if (j - gs > 1) {
            const lcp = w[2 * gs + LO]! >>> ID_BITS === 4 ? this.commonPrefix(gs, j, depth + 4) : -1;
            if (lcp >= 0) stack.push(gs, j, lcp);
            else if (marks) newKey.fill(0, gs + 1, j);
          }
          gs = j;
        }
      }
      if (stack.length === 0) return;
      depth = stack.pop()!;
      hi = stack.pop()!;
      lo = stack.pop()!;
    }
  }

  /** Slot j := record `id`'s key bytes [depth, depth + 4) (zero-padded), how many there are, and id. */
  private setDigit(j: number, id: number, depth: number): void {
    const d = this.data;
    const ks = this.keyStart[id]! + depth;
    const rem = this.keyEnd[id]! - ks;
    let digit = 0;
    let m = 4;
    if (rem >= 4) digit = ((d[ks]! << 24) | (d[ks + 1]! << 16) | (d[ks + 2]! << 8) | d[ks + 3]!) >>> 0;
    else {
      m = rem > 0 ? rem : 0;
      for (let k = 0; k < m; k++) digit |= d[ks + k]! << (24 - 8 * k);
      digit >>>= 0;
    }
    const w = this.words;
    w[2 * j + HI] = digit;
    w[2 * j + LO] = ((m << ID_BITS) | id) >>> 0;
  }

  /**
   * Slots [gs, ge) hold keys equal in their first `from` bytes: -1 when the keys are all equal
   * (nothing left to sort: they are in arrival order), else the length of their common prefix.
   */
  private commonPrefix(gs: number, ge: number, from: number): number {
    const d = this.data;
    const w = this.words;
    const a = w[2 * gs + LO]! & ID_MASK;
    const as = this.keyStart[a]!;
    const aLen = this.keyEnd[a]! - as;
    let lcp = aLen;
    let equal = true;
    for (let j = gs + 1; j < ge; j++) {
      const b = w[2 * j + LO]! & ID_MASK;
      const bs = this.keyStart[b]!;
      const bLen = this.keyEnd[b]! - bs;
      const n = Math.min(lcp, bLen);
      let k = from;
      while (k < n && d[as + k] === d[bs + k]) k++;
      if (k < lcp) lcp = k;
      if (bLen !== aLen || k < aLen) equal = false;
    }
    return equal ? -1 : lcp;
  }

  /** Sorts slots [lo, hi) (keys sharing their first `depth` bytes); `marks`: and sets newKey for them. */
  private insertionSort(lo: number, hi: number, depth: number, marks: boolean): void {
    const w = this.words;
    const d = this.data;
    const ks = this.keyStart;
    const ke = this.keyEnd;
    for (let i = lo; i < hi; i++) w[2 * i + LO] = w[2 * i + LO]! & ID_MASK;
    for (let i = lo + 1; i < hi; i++) {
      const x = w[2 * i + LO]!;
      const xs = ks[x]! + depth;
      const xe = ke[x]!;
      let j = i - 1;
      for (; j >= lo; j--) {
        const y = w[2 * j + LO]!;
        const c = compareBytes(d, ks[y]! + depth, ke[y]!, d, xs, xe);
        if (c < 0 || (c === 0 && y < x)) break;
        w[2 * (j + 1) + LO] = y;
      }
      w[2 * (j + 1) + LO] = x;
    }
    if (!marks || hi <= lo) return;
    const newKey = this.newKey;
    newKey[lo] = 1;
    for (let i = lo + 1; i < hi; i++) {
      const x = w[2 * i + LO]!;
      const y = w[2 * i - 2 + LO]!;
      newKey[i] = compareBytes(d, ks[y]! + depth, ke[y]!, d, ks[x]! + depth, ke[x]!) === 0 ? 0 : 1;
    }
  }

  /** Writes partition p's sorted records (after `sort()`), combining groups of equal keys when the job has a combiner. */
  private writePartition(p: number, w: RecordWriter): void {
    const lo = this.partStart[p]!;
    const hi = this.partStart[p + 1]!;
    const words = this.words;
    const d = this.data;
    const recEnd = this.recEnd;
    if (!this.combine) {
      for (let j = lo; j < hi; j++) {
        const id = words[2 * j + LO]! & ID_MASK;
        w.writeRaw(d, id === 0 ? 0 : recEnd[id - 1]!, recEnd[id]!);
      }
      return;
    }
    const ks = this.keyStart;
    const ke = this.keyEnd;
    const newKey = this.newKey;
    for (let j = lo; j < hi; ) {
      const a = words[2 * j + LO]! & ID_MASK;
      let k = j + 1;
      while (k < hi && newKey[k] === 0) k++;
      if (k - j === 1) w.writeRaw(d, a === 0 ? 0 : recEnd[a - 1]!, recEnd[a]!);
      else {
        const values: unknown[] = [];
        for (let m = j; m < k; m++) values.push(decodeValue(d, ke[words[2 * m + LO]! & ID_MASK]!));
        const key = d.toString('utf8', ks[a]!, ke[a]!);
        this.combineInput += values.length;
        w.write(key, this.combine(key, values));
      }
      j = k;
    }
  }

  /** Merges partition p of every run and of the records still in memory (sorted) into w. */
  private mergePartition(p: number, w: RecordWriter): void {
    const sources: RawSource[] = [];
    for (const run of this.runs) {
      const start = run.offsets[p]!;
      const length = run.offsets[p + 1]! - start;
      if (length > 0) sources.push(RecordReader.fromFile(run.file, start, length));
    }
    const lo = this.partStart[p]!;
    const hi = this.partStart[p + 1]!;
    if (hi > lo) sources.push(new MemoryRun(this.data, this.words, this.keyStart, this.keyEnd, this.recEnd, lo, hi));
    const merge = new RawMerge(sources);
    try {
      if (this.combine) this.mergeCombining(merge, w, this.combine);
      else for (let s = merge.current; s; s = merge.current) {
        w.writeRaw(s.raw, s.rawStart, s.rawEnd);
        merge.advance();
      }
    } finally {
      merge.close();
    }
  }

  private mergeCombining(merge: RawMerge, w: RecordWriter, combine: Combine): void {
    let first = Buffer.allocUnsafe(1024); // the group's first record (its source's bytes move on)
    for (let s = merge.current; s; s = merge.current) {
      const len = s.rawEnd - s.rawStart;
      if (first.length < len) first = Buffer.allocUnsafe(Math.max(len, 2 * first.length));
      first.set(s.raw.subarray(s.rawStart, s.rawEnd));
      const keyStart = s.keyStart - s.rawStart;
      const keyEnd = s.keyEnd - s.rawStart;
      merge.advance();
      s = merge.current;
      if (!s || compareBytes(first, keyStart, keyEnd, s.raw, s.keyStart, s.keyEnd) !== 0) {
        w.writeRaw(first, 0, len);
        continue;
      }
      const values: unknown[] = [decodeValue(first, keyEnd)];
      for (; s && compareBytes(first, keyStart, keyEnd, s.raw, s.keyStart, s.keyEnd) === 0; s = merge.current) {
        values.push(decodeValue(s.raw, s.keyEnd));
        merge.advance();
      }
      const key = first.toString('utf8', keyStart, keyEnd);
      this.combineInput += values.length;
      w.write(key, combine(key, values));
    }
  }
}

/** Slots [j, end) of a sorted sort buffer as a raw source for the merge. */
class MemoryRun implements RawSource {
  rawStart = 0;
  keyStart = 0;
  keyEnd = 0;
  rawEnd = 0;

  constructor(
    readonly raw: Buffer,
    private readonly words: Uint32Array,
    private readonly keyStarts: Uint32Array,
    private readonly keyEnds: Uint32Array,
    private readonly recEnds: Uint32Array,
    private j: number,
    private readonly end: number,
  ) {}

  nextRaw(): boolean {
    if (this.j >= this.end) return false;
    const id = this.words[2 * this.j++ + LO]! & ID_MASK;
    this.rawStart = id === 0 ? 0 : this.recEnds[id - 1]!;
    this.keyStart = this.keyStarts[id]!;
    this.keyEnd = this.keyEnds[id]!;
    this.rawEnd = this.recEnds[id]!;
    return true;
  }

  close(): void {}
}
