import { describe, expect, it } from 'vitest';
import { V2_FIELDS } from './fields.js';
import { Fields, Format } from './format.js';
import { bindQuery, compileQuery, PRESETS, QueryError, resolveParams, type BoundQuery } from './query.js';

const ACCEPTED_SSH = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const REJECTED_RDP = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const NODATA = '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - NODATA';

const v2 = new Format(V2_FIELDS);
const tokens = (line: string): string[] => v2.parse(line) as string[];

/** The records of `lines` that pass `where` (v2 format). */
function matching(where: string, lines = [ACCEPTED_SSH, REJECTED_RDP, NODATA], format = v2): string[] {
  const b = bindQuery(compileQuery({ groupBy: 'srcaddr', where }), format);
  return lines.filter((l) => b.test(format.parse(l) as string[]));
}

function refused(params: Record<string, string>): string {
  try {
    resolveParams(params);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    return (e as Error).message;
  }
  throw new Error('expected a QueryError');
}

describe('presets (flowlogs.md "Presets")', () => {
  it('each preset resolves to its params and compiles', () => {
    for (const name of Object.keys(PRESETS)) expect(resolveParams({ preset: name })).toEqual(PRESETS[name]);
    expect(Object.keys(PRESETS)).toEqual(['top-talkers', 'rejected-by-src', 'port-scan', 'bytes-by-eni', 'ssh-rdp']);
  });
  it('top-talkers: sums and count per address pair, top 10 by sum_bytes', () => {
    const q = compileQuery(resolveParams({ preset: 'top-talkers' }));
    expect(q.groupBy).toEqual(['srcaddr', 'dstaddr']);
    expect(q.columns).toEqual(['sum_bytes', 'sum_packets', 'count']);
    expect(q.top).toEqual({ k: 10, orderBy: 'sum_bytes' });
  });
  it('port-scan and ssh-rdp as in the table', () => {
    const scan = compileQuery(resolveParams({ preset: 'port-scan' }));
    expect(scan.where).toEqual([{ field: 'action', op: '=', values: ['REJECT'], numeric: false }]);
    expect(scan.having).toEqual([{ column: 'distinct_dstport', op: '>=', value: '20' }]);
    expect(compileQuery(PRESETS['ssh-rdp']!).where).toEqual([{ field: 'dstport', op: '=', values: ['22', '3389'], numeric: true }]);
  });
});

describe('rule 11: explicit params replace the preset\'s; empty clears; unknown params are refused', () => {
  it('a given param replaces the preset value', () => {
    expect(resolveParams({ preset: 'top-talkers', top: '3', where: 'action=ACCEPT' })).toEqual({ ...PRESETS['top-talkers'], top: '3', where: 'action=ACCEPT' });
  });
  it('`having=` clears the preset\'s having; `top=` its top (the orderBy left is then ignored)', () => {
    expect(resolveParams({ preset: 'port-scan', having: '' })).not.toHaveProperty('having');
    const r = resolveParams({ preset: 'top-talkers', top: '', agg: 'count' });
    expect(r).not.toHaveProperty('top');
    expect(compileQuery(r).top).toBeUndefined();
  });
  it('a replaced agg with a stale orderBy is refused while top stands', () => {
    expect(refused({ preset: 'top-talkers', agg: 'count' })).toBe("orderBy: unknown column 'sum_bytes' (columns: count, srcaddr, dstaddr)");
  });
  it('fields and maxBadFraction are kept; preset is not; empty values are left out', () => {
    expect(resolveParams({ groupBy: 'srcaddr', fields: 'srcaddr,bytes', maxBadFraction: '0.5', where: '' })).toEqual({ groupBy: 'srcaddr', fields: 'srcaddr,bytes', maxBadFraction: '0.5' });
  });
  it('unknown params and presets are refused', () => {
    expect(refused({ groupBy: 'srcaddr', foo: '1' })).toMatch(/^unknown param 'foo' \(flowlogs params: preset, groupBy/);
    expect(refused({ preset: 'x' })).toBe("unknown preset 'x' (presets: top-talkers, rejected-by-src, port-scan, bytes-by-eni, ssh-rdp)");
  });
});

describe('query errors: one line naming the offending part', () => {
  const cases: [Record<string, string>, string | RegExp][] = [
    [{}, 'groupBy is required (or a preset)'],
    [{ preset: 'ssh-rdp', groupBy: '' }, 'groupBy is required (or a preset)'],
    [{ groupBy: 'srcaddr,srcadr' }, "groupBy: unknown field 'srcadr'"],
    [{ groupBy: 'srcaddr,' }, "groupBy: empty item in 'srcaddr,'"],
    [{ groupBy: 'srcaddr', where: 'srcadr=1.2.3.4' }, "where: unknown field 'srcadr'"],
    [{ groupBy: 'srcaddr', where: 'bytes=>5' }, "where: bad operator in 'bytes=>5'"],
    [{ groupBy: 'srcaddr', where: 'bytes==5' }, "where: bad operator in 'bytes==5'"],
    [{ groupBy: 'srcaddr', where: 'action!ACCEPT' }, "where: bad operator in 'action!ACCEPT'"],
    [{ groupBy: 'srcaddr', where: 'action ACCEPT' }, "where: no operator in 'action ACCEPT'"],
    [{ groupBy: 'srcaddr', where: 'action=' }, "where: no value in 'action='"],
    [{ groupBy: 'srcaddr', where: '=ACCEPT' }, "where: nothing before the operator in '=ACCEPT'"],
    [{ groupBy: 'srcaddr', where: 'dstport=22||3389' }, "where: empty value in 'dstport=22||3389'"],
    [{ groupBy: 'srcaddr', where: 'bytes>5|6' }, "where: '|' needs = or != in 'bytes>5|6'"],
    [{ groupBy: 'srcaddr', where: 'dstport=ssh' }, "where: dstport is numeric and 'ssh' is not a number"],
    [{ groupBy: 'srcaddr', where: 'bytes>1e3' }, "where: bytes is numeric and '1e3' is not a number"],
    [{ groupBy: 'srcaddr', agg: 'avg:bytes' }, "agg: unknown aggregate 'avg:bytes' (count, sum:F, min:F, max:F, distinct:F)"],
    [{ groupBy: 'srcaddr', agg: 'counts' }, /^agg: unknown aggregate 'counts'/],
    [{ groupBy: 'srcaddr', agg: 'sum:byte' }, "agg: unknown field 'byte'"],
    [{ groupBy: 'srcaddr', agg: 'sum:action' }, 'agg: sum:action: sum needs a numeric field'],
    [{ groupBy: 'srcaddr', agg: 'sum:account-id' }, 'agg: sum:account-id: sum needs a numeric field'],
    [{ groupBy: 'srcaddr', agg: 'sum:packets', having: 'sum_pkts>5' }, "having: unknown column 'sum_pkts' (columns: sum_packets, srcaddr)"],
    [{ groupBy: 'srcaddr', having: 'count>many' }, "having: 'many' is not a number in 'count>many'"],
    [{ groupBy: 'srcaddr', having: 'count=>5' }, "having: bad operator in 'count=>5'"],
    [{ groupBy: 'srcaddr', top: '5' }, 'top needs orderBy'],
    [{ groupBy: 'srcaddr', top: '-1', orderBy: 'count' }, "top: '-1' is not a whole number >= 0"],
    [{ groupBy: 'srcaddr', top: '2.5', orderBy: 'count' }, "top: '2.5' is not a whole number >= 0"],
    [{ groupBy: 'srcaddr', top: '5', orderBy: 'sum_bytes' }, "orderBy: unknown column 'sum_bytes' (columns: count, srcaddr)"],
    [{ groupBy: 'srcaddr', fields: 'srcaddr,bogus' }, "fields: unknown field 'bogus'"],
    [{ groupBy: 'srcaddr', maxBadFraction: '2' }, "maxBadFraction: '2' is not a number in [0, 1]"],
    [{ groupBy: 'srcaddr', maxBadFraction: 'lots' }, "maxBadFraction: 'lots' is not a number in [0, 1]"],
  ];
  for (const [params, message] of cases) {
    it(`${JSON.stringify(params)}: ${String(message)}`, () => {
      if (typeof message === 'string') expect(refused(params)).toBe(message);
      else expect(refused(params)).toMatch(message);
    });
  }
  it('maxBadFraction accepts decimals in [0, 1]', () => {
    for (const f of ['0', '1', '0.25', '.5', '1.0']) expect(() => resolveParams({ groupBy: 'srcaddr', maxBadFraction: f })).not.toThrow();
  });
});

describe('rule 7: where', () => {
  it('= and != on text, case-sensitive; conditions separated by `;` must all hold', () => {
    expect(matching('action=REJECT')).toEqual([REJECTED_RDP]);
    expect(matching('action=reject')).toEqual([]);
    expect(matching('action=ACCEPT;dstport=3389')).toEqual([]);
    expect(matching('action=ACCEPT;dstport=22;')).toEqual([ACCEPTED_SSH]);
  });
  it('`-` satisfies no condition, not even !=', () => {
    expect(matching('action!=REJECT')).toEqual([ACCEPTED_SSH]);
    expect(matching('dstport!=1')).toEqual([ACCEPTED_SSH, REJECTED_RDP]);
    expect(matching('action=-')).toEqual([]);
  });
  it('`|` means any of them with =, none of them with !=', () => {
    expect(matching('dstport=22|3389')).toEqual([ACCEPTED_SSH, REJECTED_RDP]);
    expect(matching('dstport!=22|3389')).toEqual([]);
    expect(matching('action!=ACCEPT|NONE')).toEqual([REJECTED_RDP]);
  });
  it('numeric fields compare as numbers (by value, leading zeros too), text as strings', () => {
    expect(matching('dstport>100')).toEqual([REJECTED_RDP]); // as strings '22' > '100'
    expect(matching('dstport<=0022')).toEqual([ACCEPTED_SSH]);
    expect(matching('dstport=22', [ACCEPTED_SSH.replace(' 22 ', ' 022 ')])).toHaveLength(1);
    expect(matching('srcaddr>172.31.16.139')).toEqual([REJECTED_RDP]); // as strings, '172.31.9.69' > '172.31.16.139'
    expect(matching('bytes>=4249;bytes<4250;start<1418530011;start>1418530009')).toEqual([ACCEPTED_SSH, REJECTED_RDP]);
  });
  it('numbers beyond 2^53 compare exactly', () => {
    const f = new Format(['srcaddr', 'bytes']);
    const lines = ['a 9007199254740993', 'b 9007199254740992'];
    expect(matching('bytes>9007199254740992', lines, f)).toEqual(['a 9007199254740993']);
  });
  it('spaces around operators and `|` are allowed', () => {
    expect(matching(' action = REJECT ; dstport != 22 | 80 ')).toEqual([REJECTED_RDP]);
    expect(compileQuery({ groupBy: 'srcaddr', where: 'bytes >= 5' }).where).toEqual([{ field: 'bytes', op: '>=', values: ['5'], numeric: true }]);
  });
  it('a field the format lacks reads as `-` and satisfies nothing (rule 6)', () => {
    expect(matching('vpc-id!=vpc-1')).toEqual([]);
    expect(matching('tcp-flags>=0')).toEqual([]);
  });
});

describe('groupBy and agg (rules 6, 8)', () => {
  it('the key is the group values as written, joined by TAB; a missing field reads `-`', () => {
    const q = compileQuery({ groupBy: 'srcaddr,dstport,vpc-id' });
    const b = bindQuery(q, v2);
    expect(b.groupKey(tokens(ACCEPTED_SSH.replace(' 22 ', ' 022 ')))).toBe('172.31.16.139\t022\t-');
    expect(b.test(tokens(NODATA))).toBe(true); // no where: everything passes
    expect(bindQuery(compileQuery({ groupBy: 'interface-id' }), v2).groupKey(tokens(NODATA))).toBe('eni-11111111111111111');
    expect(bindQuery(compileQuery({ groupBy: 'region' }), v2).groupKey(tokens(NODATA))).toBe('-');
  });
  it('agg defaults to count; column names are kind_F with F as written', () => {
    expect(compileQuery({ groupBy: 'srcaddr' }).columns).toEqual(['count']);
    expect(compileQuery({ groupBy: 'srcaddr', agg: 'count, sum:tcp-flags,min:srcaddr,max:start,distinct:dstport' }).columns)
      .toEqual(['count', 'sum_tcp-flags', 'min_srcaddr', 'max_start', 'distinct_dstport']);
  });
});

describe('rule 9: having, top, orderBy', () => {
  it('having names an aggregate column or a groupBy field', () => {
    const q = compileQuery({ groupBy: 'srcaddr,dstport', agg: 'count', having: 'count>1;dstport<1024' });
    expect(q.having).toEqual([{ column: 'count', op: '>', value: '1' }, { column: 'dstport', op: '<', value: '1024' }]);
  });
  it('orderBy without top is ignored, even a wrong one; top=0 compiles', () => {
    expect(compileQuery({ groupBy: 'srcaddr', orderBy: 'nonsense' }).top).toBeUndefined();
    expect(compileQuery({ groupBy: 'srcaddr', top: '0', orderBy: 'srcaddr' }).top).toEqual({ k: 0, orderBy: 'srcaddr' });
  });
});

describe('the map side\'s table key (values joined by a space)', () => {
  const scanned = (line: string, format = v2): Fields => {
    const f = new Fields();
    expect(format.scan(Buffer.from(line), f)).toBeUndefined();
    return f;
  };
  /** What the map emits for a table key (BytesMap.drain with TAB for space): the output key. */
  const outputKey = (tableKey: string): string => tableKey.replaceAll(' ', '\t');
  const tableKey = (b: BoundQuery, f: Fields): string => {
    const k = b.tableKey(f);
    return k.bytes.toString('utf8', k.start, k.end);
  };
  it('adjacent groupBy fields: one slice of the line when one space separates them, the same key when more do', () => {
    const b = bindQuery(compileQuery({ groupBy: 'srcaddr,dstaddr' }), v2);
    const f = scanned(ACCEPTED_SSH);
    expect(tableKey(b, f)).toBe('172.31.16.139 172.31.16.21');
    expect(b.tableKey(f).bytes).toBe(f.bytes); // a range of the line, nothing copied
    expect(tableKey(b, scanned(ACCEPTED_SSH.replace('172.31.16.139 ', '172.31.16.139    ')))).toBe('172.31.16.139 172.31.16.21');
    expect(tableKey(b, scanned(ACCEPTED_SSH.replaceAll(' ', '  ')))).toBe('172.31.16.139 172.31.16.21');
    expect(outputKey(tableKey(b, scanned(ACCEPTED_SSH)))).toBe(b.groupKey(tokens(ACCEPTED_SSH)));
  });
  it('fields out of order, apart, or missing from the format', () => {
    const cases: [string, string][] = [
      ['dstaddr,srcaddr', '172.31.16.21 172.31.16.139'],
      ['srcaddr,dstport,action', '172.31.16.139 22 ACCEPT'],
      ['srcaddr,vpc-id', '172.31.16.139 -'],
      ['vpc-id,srcaddr', '- 172.31.16.139'],
      ['region', '-'],
      ['interface-id', 'eni-1235b8ca123456789'],
      ['srcaddr,srcaddr', '172.31.16.139 172.31.16.139'],
    ];
    for (const [groupBy, key] of cases) {
      const b = bindQuery(compileQuery({ groupBy }), v2);
      expect(tableKey(b, scanned(ACCEPTED_SSH)), groupBy).toBe(key);
      expect(outputKey(key), groupBy).toBe(b.groupKey(tokens(ACCEPTED_SSH)));
    }
  });
  it('a built key longer than its scratch buffer, then a short one', () => {
    const b = bindQuery(compileQuery({ groupBy: 'dstaddr,srcaddr' }), v2);
    const long = 'x'.repeat(300);
    expect(tableKey(b, scanned(ACCEPTED_SSH.replace('172.31.16.139', long)))).toBe(`172.31.16.21 ${long}`);
    expect(tableKey(b, scanned(ACCEPTED_SSH))).toBe('172.31.16.21 172.31.16.139');
  });
});
