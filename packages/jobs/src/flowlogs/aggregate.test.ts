import { describe, expect, it } from 'vitest';
import { Aggregator, havingTest, rankCompare, type Partial, type Ranked } from './aggregate.js';
import { V2_FIELDS } from './fields.js';
import { Fields, Format } from './format.js';
import { compileQuery, type Query } from './query.js';

const ACCEPTED_SSH = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const REJECTED_RDP = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const NODATA = '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - NODATA';

const v2 = new Format(V2_FIELDS);

/** The finished columns of `lines` folded into one group (a JSON round trip per partial, as the shuffle does). */
function aggregate(agg: string, lines: string[], format = v2): string[] {
  const a = new Aggregator(compileQuery({ groupBy: 'srcaddr', agg }));
  const read = a.bind(format);
  const partials = lines.map((l) => JSON.parse(JSON.stringify(read(format.parse(l) as string[]))) as Partial);
  return a.finish(partials.reduce((x, y) => a.merge(x, y)));
}

describe('rule 8: aggregates', () => {
  it('the AWS examples: count, sums, min/max, distinct', () => {
    expect(aggregate('count,sum:bytes,sum:packets,min:dstport,max:dstport,distinct:dstport,min:action,max:action', [ACCEPTED_SSH, REJECTED_RDP]))
      .toEqual(['2', '8498', '40', '22', '3389', '2', 'ACCEPT', 'REJECT']);
  });
  it('`-` values are ignored: an empty sum is 0, min/max of nothing print `-`, distinct counts 0', () => {
    expect(aggregate('count,sum:bytes,min:dstport,max:srcaddr,distinct:dstport', [NODATA])).toEqual(['1', '0', '-', '-', '0']);
    expect(aggregate('count,sum:bytes,min:dstport,max:dstport,distinct:dstport', [NODATA, ACCEPTED_SSH, NODATA])).toEqual(['3', '4249', '22', '22', '1']);
  });
  it('a field the format lacks reads as `-` (rule 6)', () => {
    expect(aggregate('sum:tcp-flags,min:vpc-id,max:traffic-path,distinct:region,count', [ACCEPTED_SSH])).toEqual(['0', '-', '-', '0', '1']);
  });
  it('numeric min/max and distinct go by value (`022` = `22`, 9 < 10) and print plain decimals', () => {
    const f = new Format(['srcaddr', 'dstport']);
    expect(aggregate('min:dstport,max:dstport,distinct:dstport', ['a 022', 'a 22', 'a 9', 'a 10', 'a 0010'], f)).toEqual(['9', '22', '3']);
    expect(aggregate('min:dstport,max:dstport', ['a 000'], f)).toEqual(['0', '0']);
  });
  it('text min/max compare as strings (UTF-8 byte order); text distinct as written, case-sensitive', () => {
    const f = new Format(['srcaddr', 'action']);
    expect(aggregate('min:action,max:action,distinct:action', ['a b', 'a B', 'a \uFF5E', 'a \u{1F600}', 'a b'], f)).toEqual(['B', '\u{1F600}', '4']);
  });
  it('distinct partials carry the set of values, never records', () => {
    const a = new Aggregator(compileQuery({ groupBy: 'srcaddr', agg: 'distinct:dstport,count' }));
    const read = a.bind(v2);
    const p = [ACCEPTED_SSH, REJECTED_RDP, ACCEPTED_SSH.replace(' 22 ', ' 022 ')].map((l) => read(v2.parse(l) as string[])).reduce((x, y) => a.merge(x, y));
    expect(p).toEqual([['22', '3389'], 3]);
  });
  it('partials are compact JSON: one slot per aggregate', () => {
    const a = new Aggregator(compileQuery({ groupBy: 'srcaddr,dstaddr', agg: 'sum:bytes,sum:packets,count' }));
    expect(JSON.stringify(a.bind(v2)(v2.parse(ACCEPTED_SSH) as string[]))).toBe('[4249,20,1]');
  });
});

describe('rule 12: sums are exact integers', () => {
  const f = new Format(['srcaddr', 'bytes']);
  it('past 2^53 a sum continues exactly, as a decimal string in the partial', () => {
    expect(aggregate('sum:bytes', ['a 9007199254740991', 'a 1', 'a 1'], f)).toEqual(['9007199254740993']);
    expect(aggregate('sum:bytes', ['a 99999999999999999999999999', 'a 1', 'a 0000000000000000000000000000000001'], f)).toEqual(['100000000000000000000000001']);
  });
  it('safe sums stay numbers; a huge value alone is one partial string', () => {
    const a = new Aggregator(compileQuery({ groupBy: 'srcaddr', agg: 'sum:bytes' }));
    const read = a.bind(f);
    expect(read(['a', '0009007199254740991'])).toEqual([9007199254740991]);
    expect(read(['a', '0009007199254740992'])).toEqual(['9007199254740992']);
    expect(a.column(read(['a', '18014398509481984']), 'sum_bytes')).toBe(2 ** 54);
  });
});

/** A seeded generator (mulberry32) so a failure replays. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('merge: any grouping and order of merges gives the same finish()', () => {
  const f = new Format(['srcaddr', 'dstport', 'bytes', 'action']);
  const q = compileQuery({ groupBy: 'srcaddr', agg: 'count,sum:bytes,min:dstport,max:dstport,min:action,max:action,distinct:dstport,distinct:action' });
  const a = new Aggregator(q);
  const read = a.bind(f);
  const random = rng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const lines = Array.from({ length: 300 }, () =>
    `a ${pick(['-', '22', '022', '80', '443', '3389', String(Math.floor(random() * 40))])} ${pick(['-', '0', '9007199254740990', String(Math.floor(random() * 1e6))])} ${pick(['-', 'ACCEPT', 'REJECT', 'x'])}`);
  const fresh = (): Partial[] => lines.map((l) => JSON.parse(JSON.stringify(read(f.parse(l) as string[]))) as Partial);
  const expected = a.finish(fresh().reduce((x, y) => a.merge(x, y)));

  it('left fold, right fold, trees and shuffled orders, with JSON round trips in between', () => {
    expect(expected[0]).toBe('300');
    expect(a.finish(fresh().reduceRight((x, y) => a.merge(x, y)))).toEqual(expected);
    const tree = (ps: Partial[]): Partial => {
      if (ps.length === 1) return ps[0]!;
      const mid = 1 + Math.floor(random() * (ps.length - 1));
      const merged = a.merge(tree(ps.slice(0, mid)), tree(ps.slice(mid)));
      return JSON.parse(JSON.stringify(merged)) as Partial; // a combiner's output goes through the shuffle
    };
    for (let round = 0; round < 20; round++) {
      const ps = fresh().sort(() => random() - 0.5);
      expect(a.finish(tree(ps))).toEqual(expected);
    }
  });
  it('merge leaves its second argument as it was', () => {
    const [x, y] = fresh();
    const before = JSON.stringify(y);
    a.merge(a.merge(x!, y!), fresh()[5]!);
    expect(JSON.stringify(y)).toBe(before);
  });
});

/** Aggregates `rows` of [srcaddr, dstport, bytes] grouped by `q`, as reduce would see them. */
function groups(q: Query, rows: string[]): (Ranked & { partial: Partial })[] {
  const f = new Format(['srcaddr', 'dstport', 'bytes']);
  const a = new Aggregator(q);
  const read = a.bind(f);
  const byKey = new Map<string, Partial>();
  for (const row of rows) {
    const t = f.parse(row) as string[];
    const key = q.groupBy.map((g) => t[f.index(g)]).join('\t');
    const p = read(t);
    byKey.set(key, byKey.has(key) ? a.merge(byKey.get(key)!, p) : p);
  }
  return [...byKey].map(([key, partial]) => ({ key, partial, cols: a.finish(partial) }));
}

describe('rule 9: having and top', () => {
  it('having compares aggregate columns as numbers; `-` fails', () => {
    const q = compileQuery({ groupBy: 'srcaddr', agg: 'distinct:dstport,min:dstport', having: 'distinct_dstport>=2' });
    const rows = ['a 1 0', 'a 2 0', 'b 1 0', 'b 01 0', 'c - 0'];
    const pass = havingTest(q);
    expect(groups(q, rows).filter((g) => pass(g.key, g.partial)).map((g) => g.key)).toEqual(['a']);
    const min = compileQuery({ groupBy: 'srcaddr', agg: 'min:dstport', having: 'min_dstport<=1' });
    expect(groups(min, rows).filter((g) => havingTest(min)(g.key, g.partial)).map((g) => g.key)).toEqual(['a', 'b']);
  });
  it('having on a groupBy field compares its value as a number; a non-number or `-` fails', () => {
    const q = compileQuery({ groupBy: 'srcaddr,dstport', having: 'dstport<1024' });
    const pass = havingTest(q);
    expect(groups(q, ['a 22 0', 'a 0080 0', 'a 3389 0', 'b - 0']).filter((g) => pass(g.key, g.partial)).map((g) => g.key)).toEqual(['a\t22', 'a\t0080']);
    const text = compileQuery({ groupBy: 'srcaddr', having: 'srcaddr>0' });
    expect(groups(text, ['10.0.0.1 1 1', '7 1 1']).filter((g) => havingTest(text)(g.key, g.partial)).map((g) => g.key)).toEqual(['7']);
  });
  it('column() reads an aggregate as a number, undefined for `-`', () => {
    const q = compileQuery({ groupBy: 'srcaddr', agg: 'count,sum:bytes,max:dstport,distinct:dstport' });
    const [g] = groups(q, ['a - 5', 'a - 7']);
    const a = new Aggregator(q);
    expect(['count', 'sum_bytes', 'max_dstport', 'distinct_dstport', 'nope'].map((c) => a.column(g!.partial, c))).toEqual([2, 12, undefined, 0, undefined]);
  });
  it('top order: orderBy descending by value, `-` lowest, ties by key in UTF-8 byte order', () => {
    const q = compileQuery({ groupBy: 'srcaddr', agg: 'max:bytes', top: '10', orderBy: 'max_bytes' });
    // U+FF5E sorts before U+1F600 in UTF-8 bytes, after it in UTF-16 code units
    const rows = ['\u{1F600} 1 5', '\uFF5E 1 5', 'b 1 10', 'c 1 9', 'd 1 -', 'a 1 -', 'e 1 05'];
    const ranked = groups(q, rows).sort(rankCompare(q)).map((g) => g.key);
    expect(ranked).toEqual(['b', 'c', 'e', '\uFF5E', '\u{1F600}', 'a', 'd']);
  });
  it('top by count and by a groupBy field; exact beyond 2^53', () => {
    const byCount = compileQuery({ groupBy: 'srcaddr', top: '2', orderBy: 'count' });
    expect(groups(byCount, ['x 1 1', 'y 1 1', 'y 1 1', 'z 1 1']).sort(rankCompare(byCount)).map((g) => g.key)).toEqual(['y', 'x', 'z']);
    const byPort = compileQuery({ groupBy: 'dstport,srcaddr', top: '3', orderBy: 'dstport' });
    expect(groups(byPort, ['a 22 1', 'a 3389 1', 'a 080 1', 'a - 1']).sort(rankCompare(byPort)).map((g) => g.key)).toEqual(['3389\ta', '080\ta', '22\ta', '-\ta']);
    const bySum = compileQuery({ groupBy: 'srcaddr', agg: 'sum:bytes', top: '2', orderBy: 'sum_bytes' });
    expect(groups(bySum, ['a 1 9007199254740993', 'b 1 9007199254740992', 'b 1 0']).sort(rankCompare(bySum)).map((g) => g.key)).toEqual(['a', 'b']);
  });
  it('a text column orders as text, descending, `-` last (min/max of a text field, a text groupBy field)', () => {
    const bySrc = compileQuery({ groupBy: 'srcaddr', top: '5', orderBy: 'srcaddr' });
    expect(groups(bySrc, ['10.0.0.9 1 1', '10.0.0.10 1 1', '- 1 1', '9.9.9.9 1 1']).sort(rankCompare(bySrc)).map((g) => g.key)).toEqual(['9.9.9.9', '10.0.0.9', '10.0.0.10', '-']);
  });
});

describe('bindAdd (the map side folds records into a held partial)', () => {
  it('gives what merging each record\'s own partial gives, for every kind of aggregate', () => {
    const q = compileQuery({ groupBy: 'srcaddr', agg: 'count,sum:bytes,min:dstport,max:dstport,min:srcaddr,max:srcaddr,distinct:dstport,sum:packets' });
    const f = new Format(['srcaddr', 'dstport', 'bytes']);
    const a = new Aggregator(q);
    const read = a.bind(f);
    const add = a.bindAdd(f);
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const rows = Array.from({ length: 500 }, () => `${['a', 'b', '-'][rand(3)]} ${rand(4) === 0 ? '-' : String(rand(40)).padStart(rand(3), '0')} ${rand(5) === 0 ? '-' : 9007199254740000 + rand(1000)}`);
    const tokens = rows.map((r) => f.parse(r) as string[]);
    const merged = tokens.slice(1).reduce((p, t) => a.merge(p, read(t)), read(tokens[0]!));
    const added = read(tokens[0]!);
    for (const t of tokens.slice(1)) add(added, t);
    expect(a.finish(added)).toEqual(a.finish(merged));
  });
});


describe('sums read through scan (numbers read in the same pass, long ones from their digits)', () => {
  it('exact across 2^53 and with numbers longer than a double holds exactly', () => {
    const q = compileQuery({ groupBy: 'srcaddr', agg: 'sum:bytes,count,sum:packets' });
    const f = new Format(['srcaddr', 'bytes', 'packets']);
    const a = new Aggregator(q);
    const read = a.bind(f);
    const add = a.bindAdd(f);
    const rows = ['a 9007199254740990 1', 'a 5 -', 'a 00000000000000000007 2', 'a - 3', 'a 123456789012345678901 0'];
    const rec = new Fields();
    expect(f.scan(Buffer.from(rows[0]!), rec)).toBeUndefined();
    const p = read(rec);
    for (const r of rows.slice(1)) {
      expect(f.scan(Buffer.from(r), rec)).toBeUndefined();
      add(p, rec);
    }
    const want = (9007199254740990n + 5n + 7n + 123456789012345678901n).toString();
    expect(a.finish(p)).toEqual([want, '5', '6']);
    // the same as records made of tokens (no numbers read by scan)
    const byTokens = rows.map((r) => f.parse(r) as string[]).slice(1).reduce((x, t) => a.merge(x, read(t)), read(f.parse(rows[0]!) as string[]));
    expect(a.finish(byTokens)).toEqual([want, '5', '6']);
  });
});
