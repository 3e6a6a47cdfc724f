/**
 * The `flowlogs` built-in job (docs/flowlogs.md): AWS VPC Flow Log records grouped and aggregated
 * by a small query given as params.
 *
 * map     parse a line's bytes (`input: 'bytes'`) with its file's format (header line, `fields`,
 *         or v2), count and skip bad/NODATA/SKIPDATA lines, apply `where`, and fold the record
 *         into a per-task table of partial aggregates keyed by the group's bytes (in-mapper
 *         combining: most records never reach the sort buffer, and no string is made for them);
 *         the table is emitted when it grows past MAX_MAP_GROUPS and at the end of the task.
 * combine merges partials of one group (spills and flushes of the same task).
 * reduce  merges a group's partials, applies `having`, and writes the group's line; with `top`,
 *         each reducer keeps only its own K best groups and hands them to reduce task 0 (the
 *         engine's `gather`), which merges them into the final K in part-00000.
 */
import { defineJob, type Emit, type JobContext } from '@mr/shared/core';
import { BytesMap } from './bytes-map.js';
import { Aggregator, havingTest, orderSlot, rankCompare, type Partial, type Ranked } from './aggregate.js';
import { V2_FIELDS } from './fields.js';
import { Fields, Format, headerFields, parseFieldsParam, stripPrefix } from './format.js';
import { bindQuery, compileQuery, parseMaxBadFraction, resolveParams, type BoundQuery, type Query } from './query.js';

/** Groups a map task holds before emitting them: bounds its memory whatever the input. */
const MAX_MAP_GROUPS = 100_000;
/** flowlogs.md: the default share of bad records a job tolerates. */
const DEFAULT_MAX_BAD_FRACTION = 0.1;

/** A query compiled once per job in a long-lived worker thread (keyed by its params). */
interface Compiled {
  q: Query;
  agg: Aggregator;
  having: (key: string, p: Partial) => boolean;
  rank: (a: Ranked, b: Ranked) => number;
  /** orderSlot: the partial's slot `top` orders by when it is a count or sum, else -1. */
  orderSlot: number;
  /** The format of files without a header: `fields`, or v2. */
  plain: Format;
  /** The query bound to each format seen, by its field names (see Bound). */
  bound: Map<string, Bound>;
}

/**
 * The query bound to one file format: made once per format and thread, not per attempt, so every
 * map attempt of the thread calls the same closures, already warm in the JIT.
 */
interface Bound {
  format: Format;
  query: BoundQuery;
  partialOf: (record: Fields) => Partial;
  addTo: (p: Partial, record: Fields) => void;
  statusAt: number;
}

function bound(c: Compiled, format: Format): Bound {
  const id = format.fields.join(' ');
  let b = c.bound.get(id);
  if (!b) {
    if (c.bound.size >= 64) c.bound.clear(); // a header per file could be different
    b = { format, query: bindQuery(c.q, format), partialOf: c.agg.bind(format), addTo: c.agg.bindAdd(format), statusAt: format.index('log-status') };
    c.bound.set(id, b);
  }
  return b;
}

const compiledByParams = new Map<string, Compiled>();
/**
 * The params object seen last and its query: an attempt passes the same (frozen) params with
 * every record and key, so this spares a JSON.stringify per reduce key.
 */
let lastParams: Readonly<Record<string, string>> | undefined;
let lastCompiled: Compiled | undefined;

function compiled(params: Readonly<Record<string, string>>): Compiled {
  if (params === lastParams && Object.isFrozen(params)) return lastCompiled!;
  const id = JSON.stringify(params);
  let c = compiledByParams.get(id);
  if (!c) {
    const q = compileQuery(params);
    c = {
      q,
      agg: new Aggregator(q),
      having: havingTest(q),
      rank: rankCompare(q),
      orderSlot: orderSlot(q),
      plain: new Format(params.fields ? parseFieldsParam(params.fields) : V2_FIELDS),
      bound: new Map(),
    };
    if (compiledByParams.size >= 16) compiledByParams.clear(); // threads outlive jobs
    compiledByParams.set(id, c);
  }
  lastParams = params;
  lastCompiled = c;
  return c;
}

/** One map attempt's state: its file's format and bound query, and its table of partials. */
interface MapState {
  b: Bound;
  /** The file's first line is a header (skipped where it is read, at offset 0). */
  header: boolean;
  /** The current record (reused line after line). */
  fields: Fields;
  /** Partials by group values joined by a space (BoundQuery.tableKey). */
  groups: BytesMap<Partial>;
}

const mapStates = new WeakMap<JobContext, MapState>();
/** The attempt map saw last and its state: one compare per record instead of a WeakMap lookup. */
let lastCtx: JobContext | undefined;
let lastState: MapState | undefined;

function mapState(ctx: JobContext): MapState {
  if (ctx === lastCtx) return lastState!;
  let st = mapStates.get(ctx);
  if (st) {
    lastCtx = ctx;
    lastState = st;
    return st;
  }
  const c = compiled(ctx.params);
  // rule 3: a header (the file's first line, prefix removed) sets the format of the whole file,
  // in every split of it; then `fields`; then v2
  const named = ctx.firstLine === undefined ? undefined : headerFields(stripPrefix(ctx.firstLine));
  const format = named ? new Format(named) : c.plain;
  st = { b: bound(c, format), header: named !== undefined, fields: new Fields(), groups: new BytesMap() };
  mapStates.set(ctx, st);
  lastCtx = ctx;
  lastState = st;
  // shown as 0 rather than missing when a job has none
  ctx.counter('nodataRecords', 0);
  ctx.counter('skipdataRecords', 0);
  return st;
}

/** Emits the held groups: a table key with its spaces as TABs is the output key (BoundQuery.tableKey). */
function flush(st: MapState, emit: Emit<string, Partial>): void {
  st.groups.drain(emit, TAB);
}

const TAB = 9;

/**
 * One reduce attempt's best groups so far (with `top`), and once K are held after a trim, the
 * K-th best of them: a group ranked after it can never be among the final K.
 */
interface TopState {
  best: Ranked[];
  cutoff?: Ranked;
  /** The cutoff's orderSlot value as a number (ordering by a count or sum): a group valued less ranks after it. */
  cutoffValue?: number;
}
const topStates = new WeakMap<JobContext, TopState>();

/** Keeps the K best of `groups` (sorted best first); trims lazily so adding stays O(log K) amortized. */
function trim(groups: Ranked[], c: Compiled): Ranked[] {
  groups.sort(c.rank);
  groups.length = Math.min(groups.length, c.q.top!.k);
  return groups;
}

export default defineJob<Partial, string | string[]>({
  name: 'flowlogs',
  input: 'bytes',
  params: resolveParams,
  gather: (params) => compiled(params).q.top !== undefined,
  maxBadFraction: (params) => (params.maxBadFraction ? parseMaxBadFraction(params.maxBadFraction) : DEFAULT_MAX_BAD_FRACTION),
  columns: (params) => {
    const { q } = compiled(params);
    return [...q.groupBy, ...q.columns];
  },

  mapSetup(ctx) {
    // the attempt's state now (its file's format from ctx.firstLine), so that map finds it as the
    // last one seen on every record, the first included; a first line too long to read ahead
    // (over 1 MiB) is only known at the split's first record, where map builds the state
    if (ctx.firstLine !== undefined) mapState(ctx);
  },

  map(line, emit, ctx) {
    const st = mapState(ctx);
    if (ctx.offset === 0 && st.header) {
      ctx.headerRecord();
      return;
    }
    // rule 5: shape and numbers first, then NODATA/SKIPDATA, then `where`
    const { b, fields: f, groups } = st;
    const bad = b.format.scan(line.bytes, f, line.start, line.end);
    if (bad !== undefined) {
      ctx.badRecord(bad);
      return;
    }
    if (b.statusAt >= 0) {
      if (f.is(b.statusAt, 'NODATA')) return void ctx.counter('nodataRecords');
      if (f.is(b.statusAt, 'SKIPDATA')) return void ctx.counter('skipdataRecords');
    }
    if (!b.query.test(f)) return;
    const key = b.query.tableKey(f);
    const held = groups.get(key.bytes, key.start, key.end);
    if (held) b.addTo(held, f);
    else {
      if (groups.size >= MAX_MAP_GROUPS) flush(st, emit);
      groups.add(key.bytes, key.start, key.end, b.partialOf(f));
    }
  },

  mapCleanup(emit, ctx) {
    const st = mapStates.get(ctx);
    if (st) flush(st, emit);
    if (ctx === lastCtx) lastCtx = lastState = undefined;
  },

  combine(_key, values, ctx) {
    // partials of one group from this task's flushes and spills: merged into the first
    const { agg } = compiled(ctx.params);
    return values.reduce((a, b) => agg.merge(a, b));
  },

  reduce(key, values, emit, ctx) {
    const c = compiled(ctx.params);
    let p: Partial | undefined;
    for (const v of values) p = p ? c.agg.merge(p, v) : v;
    if (!p || !c.having(key, p)) return;
    if (!c.q.top) {
      emit(key, c.agg.finish(p).join('\t'));
      return;
    }
    if (c.q.top.k === 0) return;
    let top = topStates.get(ctx);
    if (!top) topStates.set(ctx, (top = { best: [] }));
    // below the cutoff's value (descending order): ranked after it whatever the key; a number
    // slot is a safe integer, and Number() of a larger cutoff is at least 2^53, so `<` is exact
    if (top.cutoffValue !== undefined) {
      const v = p[c.orderSlot];
      if (typeof v === 'number' && v < top.cutoffValue) return;
    }
    const g = { key, cols: c.agg.finish(p) };
    if (top.cutoff && c.rank(g, top.cutoff) > 0) return;
    top.best.push(g);
    if (top.best.length >= 2 * c.q.top.k + 1024) {
      trim(top.best, c);
      if (top.best.length === c.q.top.k) {
        top.cutoff = top.best[top.best.length - 1]!;
        if (c.orderSlot >= 0) top.cutoffValue = Number(top.cutoff.cols[c.orderSlot]);
      }
    }
  },

  reduceCleanup(emit, ctx) {
    const c = compiled(ctx.params);
    if (!c.q.top) return;
    const best = topStates.get(ctx)?.best ?? [];
    topStates.delete(ctx);
    // reducers 1..R-1 hand their own top K to reducer 0 (gather), which keeps the final K
    if (ctx.partition === 0) for (const [key, cols] of ctx.gathered) best.push({ key, cols: cols as string[] });
    for (const g of trim(best, c)) emit(g.key, ctx.partition === 0 ? g.cols.join('\t') : g.cols);
  },
});
