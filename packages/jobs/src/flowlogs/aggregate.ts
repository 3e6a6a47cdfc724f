/**
 * Partial aggregates: what map and combine emit per group and reduce merges (flowlogs.md rule 8).
 * A partial is a JSON array with one slot per aggregate, in agg order:
 *   count, sum  -> an exact integer: a number while safe, then a decimal string (rule 12)
 *   min, max    -> the value (numbers without leading zeros, text as written), or `-` for none
 *   distinct    -> the set of distinct values as an array (numbers without leading zeros)
 * `-` can stand for "no value" because aggregates ignore `-` values, so it is never a value.
 */
import { compareUtf8 } from '@mr/shared/core';
import { asFields, type Fields, type Format, type Rec } from './format.js';
import { NUMERIC_FIELDS } from './fields.js';
import { cmpDigits, isDigits, normDigits } from './numbers.js';
import { holds, type Agg, type Query } from './query.js';

/** An exact non-negative integer: a number up to Number.MAX_SAFE_INTEGER, a decimal string past it. */
export type Exact = number | string;
export type Slot = Exact | string[];
export type Partial = Slot[];

/**
 * A finished group for `top`: its key (group values joined by TAB) and its aggregate columns as
 * printed. Reducers rank finished groups: they are small (a distinct set is one number by now),
 * and what reducers 1..R-1 hand to reducer 0 is exactly what it will print.
 */
export interface Ranked { key: string; cols: string[] }

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A digit string as an Exact. Number() of an unsafe integer rounds to >= 2^53, so the test is exact. */
function exactOf(digits: string): Exact {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : normDigits(digits);
}

function addExact(a: Exact, b: Exact): Exact {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (s <= Number.MAX_SAFE_INTEGER) return s; // both safe and the true sum safe: s is exact
  }
  const s = BigInt(a) + BigInt(b);
  return s <= MAX_SAFE ? Number(s) : s.toString();
}

/** A numeric field's value as an Exact (read by scan when short, else from its digits); undefined for `-`. */
function numOf(t: Fields, i: number): Exact | undefined {
  const v = t.num(i);
  if (v >= 0) return v;
  return t.isDash(i) ? undefined : exactOf(t.get(i));
}

type Reader = (f: Fields) => Slot;

/** How one record fills an aggregate's slot; `i` is the field's position, -1 when the format lacks it. */
function readerOf(a: Agg, i: number): Reader {
  if (a.kind === 'count') return () => 1;
  const norm = a.numeric ? normDigits : (x: string) => x;
  switch (a.kind) {
    case 'sum':
      return i < 0 ? () => 0 : (t) => numOf(t, i) ?? 0;
    case 'min':
    case 'max':
      return i < 0 ? () => '-' : (t) => (t.isDash(i) ? '-' : norm(t.get(i)));
    case 'distinct':
      return i < 0 ? () => [] : (t) => (t.isDash(i) ? [] : [norm(t.get(i))]);
  }
}

/**
 * The Set behind a distinct array that merges keep adding to, so that folding n partials into one
 * costs O(total values), not O(n * set size). Arrays stay the JSON form; the Set is a cache.
 */
const distinctSets = new WeakMap<string[], Set<string>>();

function union(into: string[], from: string[]): string[] {
  let set = distinctSets.get(into);
  if (!set) {
    if (into.length + from.length <= 8) {
      // small sets (most groups): a scan is cheaper than building a Set
      for (const v of from) if (!into.includes(v)) into.push(v);
      return into;
    }
    distinctSets.set(into, (set = new Set(into)));
  }
  for (const v of from) {
    if (!set.has(v)) {
      set.add(v);
      into.push(v);
    }
  }
  return into;
}

type Adder = (p: Partial, f: Fields) => void;

/** How one record adds to slot `j` of a partial (readerOf, then merge, in one step). */
function adderOf(a: Agg, j: number, i: number): Adder {
  if (a.kind === 'count') return (p) => void (p[j] = addExact(p[j] as Exact, 1));
  if (i < 0) return () => {}; // the field reads `-`: aggregates ignore it
  const norm = a.numeric ? normDigits : (x: string) => x;
  switch (a.kind) {
    case 'sum':
      return (p, t) => {
        const v = numOf(t, i);
        if (v !== undefined) p[j] = addExact(p[j] as Exact, v);
      };
    case 'min':
    case 'max': {
      const wantMax = a.kind === 'max';
      return (p, t) => {
        if (!t.isDash(i)) p[j] = pick(p[j] as string, norm(t.get(i)), a.numeric, wantMax);
      };
    }
    case 'distinct':
      return (p, t) => {
        if (!t.isDash(i)) p[j] = union(p[j] as string[], [norm(t.get(i))]);
      };
  }
}

/** Keeps the smaller (min) or larger (max) of two values; `-` (none) loses to any value. */
function pick(a: string, b: string, numeric: boolean, wantMax: boolean): string {
  if (a === '-') return b;
  if (b === '-') return a;
  const d = numeric ? cmpDigits(a, b) : compareUtf8(a, b);
  return (wantMax ? d >= 0 : d <= 0) ? a : b;
}

export class Aggregator {
  constructor(private readonly q: Query) {}

  /** The partial of one record, for files of this format (bind once per file, call per record). */
  bind(format: Format): (record: Rec) => Partial {
    const readers = this.q.aggs.map((a) => readerOf(a, a.kind === 'count' ? -1 : format.index(a.field)));
    return (record) => {
      const f = asFields(record);
      const p: Partial = new Array(readers.length);
      for (let k = 0; k < readers.length; k++) p[k] = readers[k]!(f);
      return p;
    };
  }

  /**
   * Folds one record straight into a group's partial (the same result as merging the record's own
   * partial, without making one): the map side's hot path when the group is already held.
   */
  bindAdd(format: Format): (p: Partial, record: Rec) => void {
    const adders = this.q.aggs.map((a, j) => adderOf(a, j, a.kind === 'count' ? -1 : format.index(a.field)));
    return (p, record) => {
      const f = asFields(record);
      for (let k = 0; k < adders.length; k++) adders[k]!(p, f);
    };
  }

  /** Merges b into a (mutating and returning a; b is left as it was). Associative and commutative. */
  merge(a: Partial, b: Partial): Partial {
    const aggs = this.q.aggs;
    for (let j = 0; j < aggs.length; j++) {
      const agg = aggs[j]!;
      const x = a[j]!;
      const y = b[j]!;
      switch (agg.kind) {
        case 'count':
        case 'sum': a[j] = addExact(x as Exact, y as Exact); break;
        case 'min': a[j] = pick(x as string, y as string, agg.numeric, false); break;
        case 'max': a[j] = pick(x as string, y as string, agg.numeric, true); break;
        case 'distinct': a[j] = union(x as string[], y as string[]); break;
      }
    }
    return a;
  }

  /** The aggregate columns as printed, in agg order: plain decimals, `-` for min/max of nothing. */
  finish(p: Partial): string[] {
    return this.q.aggs.map((agg, j) => {
      const x = p[j]!;
      return agg.kind === 'distinct' ? String((x as string[]).length) : String(x);
    });
  }

  /** The numeric value of an aggregate column, undefined for `-` (or text min/max that is not a number). */
  column(p: Partial, name: string): number | undefined {
    const j = this.q.columns.indexOf(name);
    const digits = j < 0 ? undefined : slotDigits(this.q.aggs[j]!, p[j]!);
    return digits === undefined ? undefined : Number(digits);
  }
}

/** A slot as a digit string (exact at any size), or undefined when it is `-` or not a number. */
function slotDigits(agg: Agg, x: Slot): string | undefined {
  if (agg.kind === 'distinct') return String((x as string[]).length);
  const s = String(x);
  return isDigits(s) ? s : undefined;
}

/** Reads a having/orderBy column: an aggregate slot, or a group value taken from the key. */
function columnReader(q: Query, name: string): (key: string, p: Partial) => string | undefined {
  const j = q.columns.indexOf(name);
  if (j >= 0) {
    const agg = q.aggs[j]!;
    return (_key, p) => slotDigits(agg, p[j]!);
  }
  const g = q.groupBy.indexOf(name);
  if (g < 0) throw new Error(`flowlogs: '${name}' is not a column of the query`); // compileQuery checked it
  return (key) => {
    const v = q.groupBy.length === 1 ? key : key.split('\t')[g];
    return v !== undefined && isDigits(v) ? v : undefined;
  };
}

/** Rule 9: all `having` conditions, compared as numbers; `-` or a non-number fails. */
export function havingTest(q: Query): (key: string, p: Partial) => boolean {
  const tests = q.having.map((h) => {
    const read = columnReader(q, h.column);
    return (key: string, p: Partial) => {
      const v = read(key, p);
      return v !== undefined && holds(h.op, cmpDigits(v, h.value));
    };
  });
  return (key, p) => tests.every((t) => t(key, p));
}

/**
 * An orderBy column's value in a finished group and how it compares: numeric columns (count, sum,
 * distinct, min/max of a numeric field, a numeric groupBy field) as numbers, text ones (min/max of
 * a text field, a text groupBy field such as srcaddr) as UTF-8 strings. undefined is `-`.
 */
function orderReader(q: Query, name: string): { read: (g: Ranked) => string | undefined; numeric: boolean } {
  const j = q.columns.indexOf(name);
  if (j >= 0) {
    const agg = q.aggs[j]!;
    const numeric = agg.kind === 'count' || agg.kind === 'sum' || agg.kind === 'distinct' || agg.numeric;
    return { read: (g) => (g.cols[j] === '-' ? undefined : g.cols[j]), numeric };
  }
  const i = q.groupBy.indexOf(name);
  if (i < 0) throw new Error(`flowlogs: '${name}' is not a column of the query`); // compileQuery checked it
  const numeric = NUMERIC_FIELDS.has(name);
  return {
    read: (g) => {
      const v = q.groupBy.length === 1 ? g.key : g.key.split('\t')[i];
      return v === undefined || v === '-' || (numeric && !isDigits(v)) ? undefined : v;
    },
    numeric,
  };
}

/**
 * For `top` ordered by a count or sum column, that column's slot in a partial, else -1. Such a
 * slot is a number while safe, so a reducer can drop a group valued below its cutoff before
 * finishing it (columns as strings, a Ranked object): most groups of a large job never rank.
 */
export function orderSlot(q: Query): number {
  const j = q.top ? q.columns.indexOf(q.top.orderBy) : -1;
  return j >= 0 && (q.aggs[j]!.kind === 'count' || q.aggs[j]!.kind === 'sum') ? j : -1;
}

/**
 * Rule 9's order for `top`: orderBy descending (numbers as numbers, text as UTF-8 strings), `-`
 * lowest, ties by key ascending in UTF-8 byte order. Sorting with it puts the K groups to keep first.
 */
export function rankCompare(q: Query): (a: Ranked, b: Ranked) => number {
  const order = q.top ? orderReader(q, q.top.orderBy) : undefined;
  return (a, b) => {
    const x = order?.read(a);
    const y = order?.read(b);
    if (x !== y) {
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const d = order!.numeric ? cmpDigits(y, x) : compareUtf8(y, x);
      if (d !== 0) return d;
    }
    return compareUtf8(a.key, b.key);
  };
}
