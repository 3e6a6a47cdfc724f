/**
 * Reading one line of a flow log file: the CloudWatch prefix, header detection and the split
 * into fields (flowlogs.md rules 1-5). Runs once per record, on the line's bytes (the job reads
 * `input: 'bytes'`): byte loops, no string per line or per field, no regex per token.
 */
import { QueryError } from './errors.js';
import { KNOWN_FIELDS, NUMERIC_FIELDS } from './fields.js';

const SPACE = 32;

/** Digit strings up to this long are read as numbers by scan: below 2^53, so exact as doubles. */
export const MAX_EXACT_DIGITS = 15;

/** Rule 2: `YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±hh:mm)?` then a space. */
const CLOUDWATCH_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?(?:Z|[+-]\d{2}:\d{2})? /;
/** The longest prefix with its space: `2024-03-01T12:00:00.000+05:30 `. */
const MAX_PREFIX = 30;

/** Rule 1: the end of line[start, end) without its trailing spaces (only spaces: fields are separated by nothing else). */
function recordEnd(line: Uint8Array, start: number, end: number): number {
  while (end > start && line[end - 1] === SPACE) end--;
  return end;
}

/**
 * Rules 1-2: where the record in line[start, end) begins (end without trailing spaces): after
 * leading spaces, and after a CloudWatch timestamp prefix with the spaces that follow it (they are
 * leading spaces of the record).
 */
function recordStart(line: Buffer, start: number, end: number): number {
  while (start < end && line[start] === SPACE) start++;
  // `T` at 10 rules out almost every line (a record starts with a version or a field value)
  // before the regex runs; 20 is the length of the shortest prefix with its space
  if (end - start >= 20 && line[start + 10] === 84 && CLOUDWATCH_PREFIX.test(line.toString('latin1', start, Math.min(end, start + MAX_PREFIX)))) {
    start = line.indexOf(SPACE, start) + 1;
    while (start < end && line[start] === SPACE) start++;
  }
  return start;
}

/**
 * The line without its CloudWatch timestamp prefix (if any) and without leading/trailing spaces
 * (rules 1-2, as scan applies them): for a header line, which is read as text.
 */
export function stripPrefix(line: string): string {
  const bytes = Buffer.from(line);
  const end = recordEnd(bytes, 0, bytes.length);
  return bytes.toString('utf8', recordStart(bytes, 0, end), end);
}

/** Tokens of a line, split on runs of spaces (measured as fast as native `split`, without its empty tokens). */
function tokensOf(line: string): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    if (line.charCodeAt(i) !== SPACE) continue;
    if (i > start) tokens.push(line.slice(start, i));
    start = i + 1;
  }
  if (line.length > start) tokens.push(line.slice(start));
  return tokens;
}

/** Rule 3: the field names when every token of the (stripped) line is a known field, else undefined. */
export function headerFields(stripped: string): string[] | undefined {
  if (stripped === '') return undefined;
  const tokens = tokensOf(stripped);
  for (const t of tokens) if (!KNOWN_FIELDS.has(t)) return undefined;
  return tokens;
}

/** `--param fields=f1,f2,..`: the custom format's field names, or a QueryError naming the bad one. */
export function parseFieldsParam(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') throw new QueryError(`fields: empty field name in '${value}'`);
    if (!KNOWN_FIELDS.has(name)) throw new QueryError(`fields: unknown field '${name}'`);
    // a format naming a field twice would make the field's value ambiguous
    if (seen.has(name)) throw new QueryError(`fields: field '${name}' given twice`);
    seen.add(name);
  }
  return names;
}

/** A value quoted for a reason string, cut short so one huge token cannot flood the logs. */
function quote(s: string): string {
  return `'${s.length > 40 ? `${s.slice(0, 40)}...` : s}'`;
}

/**
 * One parsed record: where each field lies in the line's bytes. Values are cut out (decoded) only
 * when read, so a record costs no string per field (most queries read 3-5 of 14+). Reused line
 * after line: `bytes` is the current line, a view the reader may reuse after the map call.
 */
export class Fields {
  bytes: Buffer = EMPTY;
  count = 0;
  private bounds = new Int32Array(2 * 64);
  /**
   * The value of a numeric field that `scan` read as digits (up to MAX_EXACT_DIGITS of them, so
   * exact as a double), else -1: `-`, longer numbers, text fields, or fields set another way.
   */
  private nums = new Float64Array(64);

  /** A record made of given tokens (tests, and callers that already split a line). */
  static of(tokens: readonly string[]): Fields {
    const f = new Fields();
    f.bytes = Buffer.from(tokens.join(' '));
    let at = 0;
    tokens.forEach((t, i) => {
      const n = Buffer.byteLength(t);
      f.set(i, at, at + n);
      at += n + 1;
    });
    f.count = tokens.length;
    return f;
  }

  set(i: number, start: number, end: number, num = -1): void {
    if (i >= this.nums.length) this.grow(i);
    this.bounds[2 * i] = start;
    this.bounds[2 * i + 1] = end;
    this.nums[i] = num;
  }

  private grow(i: number): void {
    let n = this.nums.length;
    while (n <= i) n *= 2;
    const bounds = new Int32Array(2 * n);
    bounds.set(this.bounds);
    const nums = new Float64Array(n);
    nums.set(this.nums);
    this.bounds = bounds;
    this.nums = nums;
  }

  /** The field's value as text (decoded from UTF-8). */
  get(i: number): string {
    return this.bytes.toString('utf8', this.bounds[2 * i]!, this.bounds[2 * i + 1]!);
  }

  /** The field's value as a number when scan read it as a short digit string (exact), else -1. */
  num(i: number): number {
    return this.nums[i]!;
  }

  start(i: number): number {
    return this.bounds[2 * i]!;
  }

  end(i: number): number {
    return this.bounds[2 * i + 1]!;
  }

  /** The field is `-` (no value), checked without cutting it out. */
  isDash(i: number): boolean {
    const s = this.bounds[2 * i]!;
    return this.bounds[2 * i + 1]! - s === 1 && this.bytes[s] === 45;
  }

  /** The field equals `ascii` (an ASCII word such as NODATA), checked without cutting it out. */
  is(i: number, ascii: string): boolean {
    const s = this.bounds[2 * i]!;
    if (this.bounds[2 * i + 1]! - s !== ascii.length) return false;
    for (let k = 0; k < ascii.length; k++) if (this.bytes[s + k] !== ascii.charCodeAt(k)) return false;
    return true;
  }

  all(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.get(i));
  }
}

const EMPTY = Buffer.alloc(0);

/** A record as its tokens or as Fields (the hot path); functions taking either read it through this. */
export type Rec = Fields | readonly string[];

export function asFields(r: Rec): Fields {
  return r instanceof Fields ? r : Fields.of(r);
}

/** One file's field order: positions of names, and which positions must hold numbers. */
export class Format {
  readonly fields: readonly string[];
  private readonly positions = new Map<string, number>();

  /** 1 where the field must be a number. */
  private readonly numericMask: Uint8Array;

  constructor(fields: readonly string[]) {
    this.fields = [...fields];
    this.numericMask = new Uint8Array(fields.length);
    fields.forEach((name, i) => {
      if (!this.positions.has(name)) this.positions.set(name, i);
      if (NUMERIC_FIELDS.has(name)) this.numericMask[i] = 1;
    });
  }

  /** The position of a field, or -1 when this format lacks it (its value then reads as `-`, rule 6). */
  index(name: string): number {
    return this.positions.get(name) ?? -1;
  }

  /**
   * The tokens of a line, or a short reason why it is a bad record (rule 5: blank, wrong field
   * count, or a numeric field that is neither digits only nor `-`). Rules 1-2 apply: spaces at
   * either end and a CloudWatch prefix are not part of the record.
   */
  parse(line: string): string[] | string {
    const f = new Fields();
    return this.scan(Buffer.from(line), f) ?? f.all();
  }

  /**
   * The hot path of parse: the field bounds of the line line[start, end) into `f` (runs of spaces
   * separate fields), numbers checked and read in the same pass; undefined when the record is
   * good, else the reason.
   */
  scan(line: Buffer, f: Fields, start = 0, end = line.length): string | undefined {
    const n = recordEnd(line, start, end);
    let i = recordStart(line, start, n);
    if (i === n) return 'blank line';
    const want = this.fields.length;
    const numeric = this.numericMask;
    f.bytes = line;
    let count = 0;
    let bad = -1; // the first numeric field that is not a number
    while (i < n) {
      const start = i;
      if (count < want && numeric[count] === 1) {
        // a numeric field: digits checked and read as a number in the same pass
        let v = 0;
        let digits = true;
        for (; i < n; i++) {
          const c = line[i]!;
          if (c === SPACE) break;
          const d = c - 48;
          if (d >= 0 && d <= 9) v = v * 10 + d;
          else digits = false;
        }
        if (digits) f.set(count, start, i, i - start <= MAX_EXACT_DIGITS ? v : -1);
        else {
          f.set(count, start, i);
          if (bad < 0 && !(i - start === 1 && line[start] === 45)) bad = count;
        }
      } else {
        // a text field: only its end matters
        while (i < n && line[i] !== SPACE) i++;
        if (count < want) f.set(count, start, i);
      }
      count++;
      while (i < n && line[i] === SPACE) i++;
    }
    f.count = Math.min(count, want);
    if (count !== want) return `${count} field${count === 1 ? '' : 's'}, the format has ${want}`;
    if (bad >= 0) return `${this.fields[bad]} ${quote(f.get(bad))} is not a number`;
    return undefined;
  }
}
