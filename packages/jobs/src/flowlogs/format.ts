/**
 * Reading one line of a flow log file: the CloudWatch prefix, header detection and the split
 * into fields (flowlogs.md rules 1-5). Runs once per record, so the hot paths use native
 * `split` and char-code loops rather than a regex per token.
 */
import { QueryError } from './errors.js';
import { KNOWN_FIELDS, NUMERIC_FIELDS } from './fields.js';
import { isDigits } from './numbers.js';

const SPACE = 32;

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

/** One file's field order: positions of names, and which positions must hold numbers. */
export class Format {
  readonly fields: readonly string[];
  private readonly positions = new Map<string, number>();
  private readonly numericAt: number[] = [];

  constructor(fields: readonly string[]) {
    this.fields = [...fields];
    fields.forEach((name, i) => {
      if (!this.positions.has(name)) this.positions.set(name, i);
      if (NUMERIC_FIELDS.has(name)) this.numericAt.push(i);
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
    if (stripped === '') return 'blank line';
    const tokens = tokensOf(stripped);
    if (tokens.length !== this.fields.length) {
      return `${tokens.length} field${tokens.length === 1 ? '' : 's'}, the format has ${this.fields.length}`;
    }
    for (const i of this.numericAt) {
      const t = tokens[i]!;
      if (t !== '-' && !isDigits(t)) return `${this.fields[i]} ${quote(t)} is not a number`;
    }
    return tokens;
  }
}
