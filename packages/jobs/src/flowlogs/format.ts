/**
 * Reading one line of a flow log file: the CloudWatch prefix, header detection and the split
 * into fields (flowlogs.md rules 1-5). Runs once per record, so the hot paths use native
 * `split` and char-code loops rather than a regex per token.
 */
import { QueryError } from './errors.js';
import { KNOWN_FIELDS, NUMERIC_FIELDS } from './fields.js';

const SPACE = 32;

/** Digit strings up to this long are read as numbers by scan: below 2^53, so exact as doubles. */
export const MAX_EXACT_DIGITS = 15;

/** Rule 1: only spaces are ignored at either end (fields are separated by spaces, nothing else). */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === SPACE) a++;
  while (b > a && s.charCodeAt(b - 1) === SPACE) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Rule 2: `YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±hh:mm)?` then a space. */
const CLOUDWATCH_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?(?:Z|[+-]\d{2}:\d{2})? /;

/**
 * The line without its CloudWatch timestamp prefix (if any) and without leading/trailing spaces.
 * Spaces after the prefix's own space are leading spaces of the record, so they go too.
 */
export function stripPrefix(line: string): string {
  const s = trimSpaces(line);
  // `T` at index 10 rules out almost every line (a record starts with a version or a field
  // value) before the regex runs; 20 is the length of the shortest prefix with its space.
  if (s.length >= 20 && s.charCodeAt(10) === 84 && CLOUDWATCH_PREFIX.test(s)) {
    return trimSpaces(s.slice(s.indexOf(' ') + 1));
  }
  return s;
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
 * One parsed record: where each field lies in the line. Values are cut out only when read, so a
 * record costs no string per field (most queries read 3-5 of 14+). Reused line after line.
 */
export class Fields {
  text = '';
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
    f.text = tokens.join(' ');
    let at = 0;
    tokens.forEach((t, i) => {
      f.set(i, at, at + t.length);
      at += t.length + 1;
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

  get(i: number): string {
    return this.text.slice(this.bounds[2 * i]!, this.bounds[2 * i + 1]!);
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
    return this.bounds[2 * i + 1]! - s === 1 && this.text.charCodeAt(s) === 45;
  }

  /** The field equals `value`, checked without cutting it out. */
  is(i: number, value: string): boolean {
    const s = this.bounds[2 * i]!;
    return this.bounds[2 * i + 1]! - s === value.length && this.text.startsWith(value, s);
  }

  all(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.get(i));
  }
}

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
   * The tokens of a stripped line, or a short reason why it is a bad record (rule 5: blank,
   * wrong field count, or a numeric field that is neither digits only nor `-`).
   */
  parse(stripped: string): string[] | string {
    const f = new Fields();
    return this.scan(stripped, f) ?? f.all();
  }

  /**
   * The hot path of parse: the field bounds of a stripped line into `f` (runs of spaces separate
   * fields), numbers checked in place; undefined when the record is good, else the reason.
   */
  scan(stripped: string, f: Fields): string | undefined {
    if (stripped === '') return 'blank line';
    const n = stripped.length;
    const want = this.fields.length;
    const numeric = this.numericMask;
    f.text = stripped;
    let count = 0;
    let bad = -1; // the first numeric field that is not a number
    let i = 0;
    while (i < n) {
      const start = i;
      if (count < want && numeric[count] === 1) {
        // a numeric field: digits checked and read as a number in the same pass
        let v = 0;
        let digits = true;
        for (; i < n; i++) {
          const c = stripped.charCodeAt(i);
          if (c === SPACE) break;
          const d = c - 48;
          if (d >= 0 && d <= 9) v = v * 10 + d;
          else digits = false;
        }
        if (digits) f.set(count, start, i, i - start <= MAX_EXACT_DIGITS ? v : -1);
        else {
          f.set(count, start, i);
          if (bad < 0 && !(i - start === 1 && stripped.charCodeAt(start) === 45)) bad = count;
        }
      } else {
        // a text field: only its end matters (a native search beats a char loop here)
        i = stripped.indexOf(' ', i);
        if (i < 0) i = n;
        if (count < want) f.set(count, start, i);
      }
      count++;
      while (i < n && stripped.charCodeAt(i) === SPACE) i++;
    }
    f.count = Math.min(count, want);
    if (count !== want) return `${count} field${count === 1 ? '' : 's'}, the format has ${want}`;
    if (bad >= 0) return `${this.fields[bad]} ${quote(f.get(bad))} is not a number`;
    return undefined;
  }

}
