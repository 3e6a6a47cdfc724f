/**
 * The `flowlogs` built-in job (docs/flowlogs.md): AWS VPC Flow Log records grouped and aggregated
 * by a small query given as params.
 *
 * map     parse a line with its file's format (header line, `fields`, or v2), count and skip
 *         bad/NODATA/SKIPDATA lines, apply `where`, and fold the record into a per-task table of
 *         partial aggregates (in-mapper combining: most records never reach the sort buffer);
 *         the table is emitted when it grows past MAX_MAP_GROUPS and at the end of the task.
 * combine merges partials of one group (spills and flushes of the same task).
 * reduce  merges a group's partials, applies `having`, and writes the group's line; with `top`,
 *         each reducer keeps only its own K best groups and hands them to reduce task 0 (the
 *         engine's `gather`), which merges them into the final K in part-00000.
 */
import { defineJob, type Emit, type JobContext } from '@mr/shared/core';
import { Aggregator, havingTest, rankCompare, type Partial, type Ranked } from './aggregate.js';
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
  /** The format of files without a header: `fields`, or v2. */
  plain: Format;
}

const compiledByParams = new Map<string, Compiled>();

function compiled(params: Readonly<Record<string, string>>): Compiled {
  const id = JSON.stringify(params);
  let c = compiledByParams.get(id);
  if (!c) {
    const q = compileQuery(params);
    c = {
      q,
      agg: new Aggregator(q),
      having: havingTest(q),
      rank: rankCompare(q),
      plain: new Format(params.fields ? parseFieldsParam(params.fields) : V2_FIELDS),
    };
    if (compiledByParams.size >= 16) compiledByParams.clear(); // threads outlive jobs
    compiledByParams.set(id, c);
  }
  return c;
}

/** One map attempt's state: its file's format, the bound query, and the table of partials. */
interface MapState {
  c: Compiled;
  format: Format;
  /** The file's first line is a header (skipped where it is read, at offset 0). */
  header: boolean;
  bound: BoundQuery;
  partialOf: (record: Fields) => Partial;
  addTo: (p: Partial, record: Fields) => void;
  /** The current record (reused line after line). */
  fields: Fields;
  statusAt: number;
  groups: Map<string, Partial>;
}

const mapStates = new WeakMap<JobContext, MapState>();

function mapState(ctx: JobContext): MapState {
  let st = mapStates.get(ctx);
  if (st) return st;
  const c = compiled(ctx.params);
  // rule 3: a header (the file's first line, prefix removed) sets the format of the whole file,
  // in every split of it; then `fields`; then v2
  const named = ctx.firstLine === undefined ? undefined : headerFields(stripPrefix(ctx.firstLine));
  const format = named ? new Format(named) : c.plain;
  st = {
    c, format, header: named !== undefined,
    bound: bindQuery(c.q, format),
    partialOf: c.agg.bind(format),
    addTo: c.agg.bindAdd(format),
    statusAt: format.index('log-status'),
    fields: new Fields(),
    groups: new Map(),
  };
  mapStates.set(ctx, st);
  // shown as 0 rather than missing when a job has none
  ctx.counter('nodataRecords', 0);
  ctx.counter('skipdataRecords', 0);
  return st;
}

function flush(st: MapState, emit: Emit<string, Partial>): void {
  for (const [key, p] of st.groups) emit(key, p);
  st.groups.clear();
}

/** One reduce attempt's best groups so far (with `top`). */
const topStates = new WeakMap<JobContext, Ranked[]>();

/** Keeps the K best of `groups` (sorted best first); trims lazily so adding stays O(log K) amortized. */
function trim(groups: Ranked[], c: Compiled): Ranked[] {
  groups.sort(c.rank);
  groups.length = Math.min(groups.length, c.q.top!.k);
  return groups;
}

export default defineJob<Partial, string | string[]>({
  name: 'flowlogs',
  params: resolveParams,
  gather: (params) => compiled(params).q.top !== undefined,
  maxBadFraction: (params) => (params.maxBadFraction ? parseMaxBadFraction(params.maxBadFraction) : DEFAULT_MAX_BAD_FRACTION),
  columns: (params) => {
    const { q } = compiled(params);
    return [...q.groupBy, ...q.columns];
  },

  map(line, emit, ctx) {
    const st = mapState(ctx);
    if (ctx.offset === 0 && st.header) {
      ctx.headerRecord();
      return;
    }
    // rule 5: shape and numbers first, then NODATA/SKIPDATA, then `where`
    const f = st.fields;
    const bad = st.format.scan(stripPrefix(line), f);
    if (bad !== undefined) {
      ctx.badRecord(bad);
      return;
    }
    if (st.statusAt >= 0) {
      if (f.is(st.statusAt, 'NODATA')) return void ctx.counter('nodataRecords');
      if (f.is(st.statusAt, 'SKIPDATA')) return void ctx.counter('skipdataRecords');
    }
    if (!st.bound.test(f)) return;
    const key = st.bound.groupKey(f);
    const held = st.groups.get(key);
    if (held) st.addTo(held, f);
    else {
      if (st.groups.size >= MAX_MAP_GROUPS) flush(st, emit);
      st.groups.set(key, st.partialOf(f));
    }
  },

  mapCleanup(emit, ctx) {
    const st = mapStates.get(ctx);
    if (st) flush(st, emit);
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
    let best = topStates.get(ctx);
    if (!best) topStates.set(ctx, (best = []));
    best.push({ key, cols: c.agg.finish(p) });
    if (best.length >= 2 * c.q.top.k + 1024) trim(best, c);
  },

  reduceCleanup(emit, ctx) {
    const c = compiled(ctx.params);
    if (!c.q.top) return;
    const best = topStates.get(ctx) ?? [];
    topStates.delete(ctx);
    // reducers 1..R-1 hand their own top K to reducer 0 (gather), which keeps the final K
    if (ctx.partition === 0) for (const [key, cols] of ctx.gathered) best.push({ key, cols: cols as string[] });
    for (const g of trim(best, c)) emit(g.key, ctx.partition === 0 ? g.cols.join('\t') : g.cols);
  },
});
