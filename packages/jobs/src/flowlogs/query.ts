/**
 * The flowlogs query: `--param` values resolved at submit (presets, rule 11), compiled into a
 * `Query` (rules 7-9), and bound to one file's `Format` for the per-record work in map.
 */
import { compareUtf8 } from '@mr/shared/core';
import { QueryError } from './errors.js';
import { KNOWN_FIELDS, NUMERIC_FIELDS } from './fields.js';
import { asFields, parseFieldsParam, type Fields, type Format, type Rec } from './format.js';
import { cmpDigits, isDigits, normDigits } from './numbers.js';

export { QueryError } from './errors.js';

export type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';

/** One `where` condition. `values` has one entry, or several for `=`/`!=` with `|`; digits without leading zeros when `numeric`. */
export interface Cond { field: string; op: Op; values: string[]; numeric: boolean }

export type AggKind = 'count' | 'sum' | 'min' | 'max' | 'distinct';

/** One aggregate; `field` is '' for `count`; `numeric` says how min/max/distinct read the field. */
export interface Agg { kind: AggKind; field: string; column: string; numeric: boolean }

/** `having` condition on an aggregate column or a groupBy field; `value` is digits. */
export interface Having { column: string; op: Op; value: string }

export interface Query {
  groupBy: string[];
  where: Cond[];
  aggs: Agg[];
  /** Aggregate column names in agg order: `count`, `sum_bytes`, ... */
  columns: string[];
  having: Having[];
  top?: { k: number; orderBy: string };
}

/** What map does with a parsed record, for one file's format. */
export interface BoundQuery {
  test(record: Rec): boolean;
  /** The group values joined by TAB, as written (the output key). */
  groupKey(record: Rec): string;
  /**
   * The group values joined by a space, as bytes: the map side's table key (values never hold
   * a space, so it names the group as exactly as groupKey, which is it with TABs for spaces).
   * Often a range of the line itself; valid until the next call.
   */
  tableKey(record: Fields): KeyBytes;
}

/** A key's bytes: bytes[start, end). */
export interface KeyBytes { bytes: Buffer; start: number; end: number }

const PARAMS = ['preset', 'groupBy', 'where', 'agg', 'having', 'top', 'orderBy', 'fields', 'maxBadFraction'];

/** flowlogs.md "Presets", as the params they stand for. */
export const PRESETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'top-talkers': { groupBy: 'srcaddr,dstaddr', agg: 'sum:bytes,sum:packets,count', top: '10', orderBy: 'sum_bytes' },
  'rejected-by-src': { where: 'action=REJECT', groupBy: 'srcaddr', agg: 'count', top: '20', orderBy: 'count' },
  'port-scan': { where: 'action=REJECT', groupBy: 'srcaddr', agg: 'distinct:dstport,count', having: 'distinct_dstport>=20' },
  'bytes-by-eni': { groupBy: 'interface-id', agg: 'sum:bytes,sum:packets' },
  'ssh-rdp': { where: 'dstport=22|3389', groupBy: 'srcaddr,dstport,action', agg: 'count' },
};

/**
 * The job's `params` hook: expands `preset`, lets explicit params replace its values (an empty
 * value clears one, rule 11), refuses unknown params, and compiles the query so that every
 * mistake is reported at submit rather than by a failing map task.
 */
export function resolveParams(raw: Record<string, string>): Record<string, string> {
  for (const k of Object.keys(raw)) {
    if (!PARAMS.includes(k)) throw new QueryError(`unknown param '${k}' (flowlogs params: ${PARAMS.join(', ')})`);
  }
  const out: Record<string, string> = {};
  const preset = raw.preset?.trim() ?? '';
  if (preset !== '') {
    if (!Object.hasOwn(PRESETS, preset)) {
      throw new QueryError(`unknown preset '${preset}' (presets: ${Object.keys(PRESETS).join(', ')})`);
    }
    Object.assign(out, PRESETS[preset]);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'preset') continue;
    if (v.trim() === '') delete out[k];
    else out[k] = v.trim();
  }
  if (out.fields !== undefined) parseFieldsParam(out.fields);
  if (out.maxBadFraction !== undefined) parseMaxBadFraction(out.maxBadFraction);
  compileQuery(out);
  return out;
}

/** `maxBadFraction=F`: a plain decimal in [0, 1] (the caller applies the default 0.1). */
export function parseMaxBadFraction(value: string): number {
  const f = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN;
  if (!(f >= 0 && f <= 1)) throw new QueryError(`maxBadFraction: '${value}' is not a number in [0, 1]`);
  return f;
}

/** Compiles resolved params (see resolveParams) into a Query; ignores `fields` and `maxBadFraction`. */
export function compileQuery(resolved: Record<string, string>): Query {
  const given = (k: string): string => resolved[k]?.trim() ?? '';
  if (given('groupBy') === '') throw new QueryError('groupBy is required (or a preset)');
  const groupBy = listOf(given('groupBy'), 'groupBy').map((f) => knownField(f, 'groupBy'));
  const where = itemsOf(given('where')).map(parseWhere);
  const aggs = listOf(given('agg') || 'count', 'agg').map(parseAgg);
  const q: Query = { groupBy, where, aggs, columns: aggs.map((a) => a.column), having: [] };
  q.having = itemsOf(given('having')).map((text) => parseHaving(text, q));
  if (given('top') !== '') {
    const k = given('top');
    if (!isDigits(k) || !Number.isSafeInteger(Number(k))) throw new QueryError(`top: '${k}' is not a whole number >= 0`);
    // orderBy without top is ignored (rule 9), so it is only checked here
    const orderBy = given('orderBy');
    if (orderBy === '') throw new QueryError('top needs orderBy');
    if (!isColumn(q, orderBy)) throw new QueryError(`orderBy: unknown column '${orderBy}' (${columnsHint(q)})`);
    q.top = { k: Number(k), orderBy };
  }
  return q;
}

/** A comma list: items trimmed; an empty item is a mistake, not something to skip silently. */
function listOf(text: string, what: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.includes('')) throw new QueryError(`${what}: empty item in '${text}'`);
  return items;
}

/** A `;` list of conditions: empty items (a trailing `;`) are skipped. */
function itemsOf(text: string): string[] {
  return text.split(';').map((s) => s.trim()).filter((s) => s !== '');
}

function knownField(name: string, what: string): string {
  if (!KNOWN_FIELDS.has(name)) throw new QueryError(`${what}: unknown field '${name}'`);
  return name;
}

const OP_CHARS = '=!<>';

/** Splits `left OP right` (spaces allowed around OP); refuses `=>`, `==`, `!5` and the like. */
function splitOp(text: string, what: string): { left: string; op: Op; right: string } {
  let i = 0;
  while (i < text.length && !OP_CHARS.includes(text[i]!)) i++;
  if (i === text.length) throw new QueryError(`${what}: no operator in '${text}'`);
  const two = text.slice(i, i + 2);
  const op: Op | undefined = two === '!=' || two === '>=' || two === '<=' ? two : text[i] === '!' ? undefined : (text[i] as Op);
  const right = op === undefined ? '' : text.slice(i + op.length).trim();
  if (op === undefined || (right !== '' && OP_CHARS.includes(right.charAt(0)))) {
    throw new QueryError(`${what}: bad operator in '${text}'`);
  }
  const left = text.slice(0, i).trim();
  if (left === '') throw new QueryError(`${what}: nothing before the operator in '${text}'`);
  if (right === '') throw new QueryError(`${what}: no value in '${text}'`);
  return { left, op, right };
}

function parseWhere(text: string): Cond {
  const { left, op, right } = splitOp(text, 'where');
  const field = knownField(left, 'where');
  const numeric = NUMERIC_FIELDS.has(field);
  const values = right.split('|').map((s) => s.trim());
  if (values.length > 1 && op !== '=' && op !== '!=') throw new QueryError(`where: '|' needs = or != in '${text}'`);
  if (values.includes('')) throw new QueryError(`where: empty value in '${text}'`);
  for (const v of values) {
    // rule 7: comparing a numeric field with a non-number is a mistake in the query
    if (numeric && !isDigits(v)) throw new QueryError(`where: ${field} is numeric and '${v}' is not a number`);
  }
  return { field, op, values: numeric ? values.map(normDigits) : values, numeric };
}

const AGG_KINDS: readonly string[] = ['sum', 'min', 'max', 'distinct'];

function parseAgg(text: string): Agg {
  if (text === 'count') return { kind: 'count', field: '', column: 'count', numeric: false };
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon).trim();
  if (colon < 0 || !AGG_KINDS.includes(kind)) {
    throw new QueryError(`agg: unknown aggregate '${text}' (count, sum:F, min:F, max:F, distinct:F)`);
  }
  const field = knownField(text.slice(colon + 1).trim(), 'agg');
  const numeric = NUMERIC_FIELDS.has(field);
  if (kind === 'sum' && !numeric) throw new QueryError(`agg: ${text}: sum needs a numeric field`);
  return { kind: kind as AggKind, field, column: `${kind}_${field}`, numeric };
}

function isColumn(q: Query, name: string): boolean {
  return q.columns.includes(name) || q.groupBy.includes(name);
}

function columnsHint(q: Query): string {
  return `columns: ${[...q.columns, ...q.groupBy].join(', ')}`;
}

function parseHaving(text: string, q: Query): Having {
  const { left, op, right } = splitOp(text, 'having');
  if (!isColumn(q, left)) throw new QueryError(`having: unknown column '${left}' (${columnsHint(q)})`);
  if (!isDigits(right)) throw new QueryError(`having: '${right}' is not a number in '${text}'`);
  return { column: left, op, value: normDigits(right) };
}

/** Whether `OP` holds for a comparison result `d` (negative, 0, positive). */
export function holds(op: Op, d: number): boolean {
  switch (op) {
    case '=': return d === 0;
    case '!=': return d !== 0;
    case '>': return d > 0;
    case '>=': return d >= 0;
    case '<': return d < 0;
    case '<=': return d <= 0;
  }
}

/** Binds field names to this format's positions; a field the format lacks reads as `-` (rule 6). */
export function bindQuery(q: Query, format: Format): BoundQuery {
  const tests = q.where.map((c) => condTest(c, format.index(c.field)));
  const at = q.groupBy.map((f) => format.index(f));
  const first = at[0]!;
  const last = at[at.length - 1]!;
  // groupBy fields that sit side by side in this format, in order (srcaddr,dstaddr in v2): when
  // one space separates them in a record, the key is a range of the line's bytes
  const adjacent = first >= 0 && at.every((p, j) => p === first + j);
  const key: KeyBytes = { bytes: Buffer.alloc(256), start: 0, end: 0 };
  /** The key built value by value in key.bytes (`-` for a field the format lacks). */
  const built = (f: Fields): KeyBytes => {
    let n = at.length - 1;
    for (const i of at) n += i < 0 ? 1 : f.end(i) - f.start(i);
    if (n > key.bytes.length) key.bytes = Buffer.alloc(Math.max(n, 2 * key.bytes.length));
    let w = 0;
    for (let j = 0; j < at.length; j++) {
      const i = at[j]!;
      if (j > 0) key.bytes[w++] = SPACE;
      if (i < 0) key.bytes[w++] = DASH;
      else w += f.bytes.copy(key.bytes, w, f.start(i), f.end(i));
    }
    key.end = w;
    return key;
  };
  const line: KeyBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };
  return {
    test: tests.length === 0 ? () => true : (record) => {
      const f = asFields(record);
      for (const t of tests) if (!t(f)) return false;
      return true;
    },
    groupKey: (record) => {
      const f = asFields(record);
      let key = valueAt(f, first);
      for (let j = 1; j < at.length; j++) key += '\t' + valueAt(f, at[j]!);
      return key;
    },
    tableKey: adjacent
      ? (f) => {
        const end = f.end(last);
        // as many bytes as the values and one space between each pair: a range of the line
        if (end - f.start(first) !== spanOf(f, first, last)) return built(f);
        line.bytes = f.bytes;
        line.start = f.start(first);
        line.end = end;
        return line;
      }
      : built,
  };
}

const SPACE = 32;
const DASH = 45;

/** The length of fields a..b with one space between each pair. */
function spanOf(f: Fields, a: number, b: number): number {
  let n = b - a;
  for (let i = a; i <= b; i++) n += f.end(i) - f.start(i);
  return n;
}

function valueAt(f: Fields, i: number): string {
  return i < 0 ? '-' : f.get(i);
}

/** Rule 7: `-` satisfies no condition, not even `!=`; `!=a|b` means none of them. */
function condTest(c: Cond, i: number): (f: Fields) => boolean {
  if (i < 0) return () => false; // the field reads `-`
  const { values, op } = c;
  const first = values[0]!;
  const isOne: (x: string) => boolean = c.numeric
    ? (x) => values.some((v) => cmpDigits(x, v) === 0)
    : values.length === 1 ? (x) => x === first : (x) => values.includes(x);
  if (op === '=') return (t) => !t.isDash(i) && isOne(t.get(i));
  if (op === '!=') return (t) => !t.isDash(i) && !isOne(t.get(i));
  // numbers by value, text as case-sensitive strings in UTF-8 byte order (the key order)
  const cmp = c.numeric ? cmpDigits : compareUtf8;
  return (t) => !t.isDash(i) && holds(op, cmp(t.get(i), first));
}
