/**
 * `mr gen records`: the sort benchmark's input (Hadoop TeraGen's shape, as text lines). Pure: the
 * seed and options give file names and chunks of bytes; the CLI streams them to a location.
 *
 * Record `i` (0-based, over all files) is one line of exactly RECORD_BYTES bytes:
 *
 *     KKKKKKKKKK 000000000000002a ABCDEFG...     (10 + 1 + 16 + 1 + 71 + '\n' = 100)
 *
 * a 10-byte key of printable ASCII drawn uniformly from 0x21..0x7E (94 characters: duplicates are
 * possible, about n^2 / 2 / 94^10 of them), a space, `i` as 16 hex digits, a space, 71 bytes of
 * filler (A-Z in a rotation that depends on `i`), '\n'. Record `i` depends only on the seed and `i`,
 * so `--files` only moves the cuts between files.
 */
import { rngFor, type Rng } from './rng.js';

export const RECORD_BYTES = 100;
export const RECORD_KEY_BYTES = 10;
const NUMBER_AT = RECORD_KEY_BYTES + 1;
const FILLER_AT = NUMBER_AT + 16 + 1;
/** Key characters: 0x21..0x7E. */
const KEY_FIRST = 0x21;
const KEY_CHARS = 94;
/** One draw gives two key characters: 94^2 values, far fewer than 2^32, so the bias is under 1e-5. */
const KEY_PAIRS = KEY_CHARS * KEY_CHARS;
/** The filler rotates through A-Z: 26 different record templates. */
const TEMPLATES = 26;
/**
 * Records per random stream: record `i`'s key comes from stream `i / RECORDS_PER_STREAM` (seeded by
 * the seed and the stream number), so a file can start at any record after skipping at most this
 * many records' draws.
 */
const RECORDS_PER_STREAM = 1 << 16;
const DRAWS_PER_RECORD = RECORD_KEY_BYTES / 2;
/** rngFor purpose tag ('recs'). */
const PURPOSE = 0x72656373;

/** `mr gen records` writes files of about this size unless `--files` is given. */
export const RECORDS_FILE_BYTES = 64 * 1024 * 1024;

export interface RecordsGenOptions {
  /** Records in all. */
  count: number;
  /** Files the records are cut into (record ranges of equal size, within one). */
  files: number;
  seed: number;
}

export interface RecordsFile {
  index: number;
  /** `part-rec-00000`, ... */
  name: string;
  /** The number of the file's first record, and how many it holds. */
  first: number;
  count: number;
}

/** Enough files of about RECORDS_FILE_BYTES (64 MiB) each; 1 for small counts. */
export function defaultRecordFiles(count: number): number {
  return Math.max(1, Math.ceil((count * RECORD_BYTES) / RECORDS_FILE_BYTES));
}

const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * `n` records' bytes but their keys and numbers, starting with template 0: the records of a chunk
 * starting at any record are one copy out of it (memcpy speed).
 */
function templates(n: number): Buffer {
  const b = Buffer.alloc(n * RECORD_BYTES, 0x30);
  for (let r = 0; r < n; r++) {
    const p = r * RECORD_BYTES;
    b[p + RECORD_KEY_BYTES] = 0x20;
    b[p + FILLER_AT - 1] = 0x20;
    for (let j = 0; j < RECORD_BYTES - 1 - FILLER_AT; j++) b[p + FILLER_AT + j] = 0x41 + ((r + j) % TEMPLATES);
    b[p + RECORD_BYTES - 1] = 0x0a;
  }
  return b;
}

export class RecordsGenerator {
  constructor(readonly options: RecordsGenOptions) {
    if (!Number.isSafeInteger(options.count) || options.count < 0) throw new RangeError(`count must be a whole number, got ${options.count}`);
    if (!Number.isSafeInteger(options.files) || options.files < 1) throw new RangeError(`files must be at least 1, got ${options.files}`);
  }

  /** File `index`: its name and its records. */
  file(index: number): RecordsFile {
    const { count, files } = this.options;
    const first = Math.floor((index * count) / files);
    const end = Math.floor(((index + 1) * count) / files);
    return { index, name: `part-rec-${String(index).padStart(5, '0')}`, first, count: end - first };
  }

  /** The bytes of file `index` in chunks of about `chunkBytes` (whole records; each a fresh Buffer the consumer may keep). */
  *chunks(index: number, chunkBytes = 64 * 1024): Generator<Buffer> {
    const { first, count } = this.file(index);
    yield* this.records(first, count, chunkBytes);
  }

  /** Records [first, first + count) in chunks of about `chunkBytes`. */
  *records(first: number, count: number, chunkBytes = 64 * 1024): Generator<Buffer> {
    const perChunk = Math.max(1, Math.floor(chunkBytes / RECORD_BYTES));
    const cycle = templates(perChunk + TEMPLATES);
    const keys = new KeyStream(this.options.seed, first);
    for (let done = 0; done < count;) {
      const n = Math.min(perChunk, count - done);
      const buf = Buffer.allocUnsafe(n * RECORD_BYTES);
      const t = (first + done) % TEMPLATES;
      cycle.copy(buf, 0, t * RECORD_BYTES, (t + n) * RECORD_BYTES);
      yield fill(buf, first + done, n, keys);
      done += n;
    }
  }
}

/** The key draws of consecutive records from record `first` on. */
class KeyStream {
  private r: Rng;
  private next: number;

  constructor(private readonly seed: number, first: number) {
    this.next = first;
    this.r = rngFor(seed, Math.floor(first / RECORDS_PER_STREAM), PURPOSE);
    for (let i = (first % RECORDS_PER_STREAM) * DRAWS_PER_RECORD; i > 0; i--) this.r();
  }

  /** The generator to draw record `this.next`'s key from; then advances to the next record. */
  take(): Rng {
    if (this.next % RECORDS_PER_STREAM === 0 && this.next > 0) this.r = rngFor(this.seed, this.next / RECORDS_PER_STREAM, PURPOSE);
    this.next++;
    return this.r;
  }
}

/** Writes the keys and numbers of records [first, first + n) into `buf`, which holds their templates. */
function fill(buf: Buffer, first: number, n: number, keys: KeyStream): Buffer {
  for (let k = 0; k < n; k++) {
    const p = k * RECORD_BYTES;
    const r = keys.take();
    for (let j = 0; j < RECORD_KEY_BYTES; j += 2) {
      const v = Math.floor(r() * KEY_PAIRS);
      const hi = (v / KEY_CHARS) | 0;
      buf[p + j] = KEY_FIRST + hi;
      buf[p + j + 1] = KEY_FIRST + v - hi * KEY_CHARS;
    }
    const i = first + k;
    let lo = i >>> 0;
    let hi = Math.floor(i / 4294967296) >>> 0;
    for (let d = 15; d >= 8; d--, lo >>>= 4) buf[p + NUMBER_AT + d] = HEX[lo & 15]!;
    for (let d = 7; d >= 0; d--, hi >>>= 4) buf[p + NUMBER_AT + d] = HEX[hi & 15]!;
  }
  return buf;
}
