/**
 * Unit tests of the flowlogs reference implementation. Every expected value is computed by hand
 * from the spec (docs/flowlogs.md), never by calling the reference's helpers.
 */
import { describe, expect, it } from 'vitest';
import { referenceFlowlogs, type RefFile } from './reference.js';

// AWS documentation examples (default v2 format).
const SSH = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const RDP = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const NODATA = '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - NODATA';
const SKIPDATA = '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - SKIPDATA';

interface Flow {
  src?: string;
  dst?: string;
  sport?: string;
  dport?: string;
  pkts?: string;
  bytes?: string;
  action?: string;
  eni?: string;
  status?: string;
  account?: string;
}

/** One default-format (v2) line. */
function v2(f: Flow = {}): string {
  return [
    '2', f.account ?? '123456789010', f.eni ?? 'eni-0a', f.src ?? '10.0.0.1', f.dst ?? '10.0.0.2',
    f.sport ?? '40000', f.dport ?? '443', '6', f.pkts ?? '1', f.bytes ?? '100',
    '1700000000', '1700000060', f.action ?? 'ACCEPT', f.status ?? 'OK',
  ].join(' ');
}

function file(path: string, lines: string[]): RefFile {
  return { path, text: lines.map((l) => `${l}\n`).join('') };
}

function run(lines: string[], params: Record<string, string>) {
  return referenceFlowlogs([file('s3://bucket/a.log', lines)], params);
}

const T = (...cols: (string | number)[]) => cols.join('\t');

describe('AWS documented examples', () => {
  it('accepted SSH, rejected RDP, NODATA and SKIPDATA records', () => {
    const r = run([SSH, RDP, NODATA, SKIPDATA], { groupBy: 'srcaddr,dstport,action', agg: 'count,sum:bytes,sum:packets' });
    // "172.31.16.139" < "172.31.9.69" as bytes ('1' < '9')
    expect(r.lines).toEqual([T('172.31.16.139', 22, 'ACCEPT', 1, 4249, 20), T('172.31.9.69', 3389, 'REJECT', 1, 4249, 20)]);
    expect(r.counters).toEqual({ inputRecords: 4, badRecords: 0, nodataRecords: 1, skipdataRecords: 1 });
    expect(r.error).toBeUndefined();
  });

  it('default agg is count; NODATA/SKIPDATA never form a group', () => {
    const r = run([SSH, NODATA, SKIPDATA, SSH], { groupBy: 'interface-id' });
    expect(r.lines).toEqual([T('eni-1235b8ca123456789', 2)]);
  });

  it('a NODATA record with a where that would match it is still only counted', () => {
    const r = run([NODATA, SKIPDATA], { groupBy: 'interface-id', where: 'interface-id=eni-11111111111111111' });
    expect(r.lines).toEqual([]);
    expect(r.counters).toEqual({ inputRecords: 2, badRecords: 0, nodataRecords: 1, skipdataRecords: 1 });
  });
});

describe('presets', () => {
  it('top-talkers: sum bytes, sum packets, count; ordered by sum_bytes desc, ties by key', () => {
    const r = run([
      v2({ src: '10.0.0.1', dst: '10.0.0.2', bytes: '100', pkts: '1' }),
      v2({ src: '10.0.0.3', dst: '10.0.0.4', bytes: '150', pkts: '5' }),
      v2({ src: '10.0.0.1', dst: '10.0.0.2', bytes: '50', pkts: '2' }),
      v2({ src: '10.0.0.9', dst: '10.0.0.8', bytes: '1000', pkts: '10' }),
      NODATA,
    ], { preset: 'top-talkers' });
    expect(r.lines).toEqual([
      T('10.0.0.9', '10.0.0.8', 1000, 10, 1),
      T('10.0.0.1', '10.0.0.2', 150, 3, 2), // tie at 150: key "10.0.0.1\t.." < "10.0.0.3\t.."
      T('10.0.0.3', '10.0.0.4', 150, 5, 1),
    ]);
    expect(r.counters.nodataRecords).toBe(1);
  });

  it('top-talkers keeps only 10 groups', () => {
    const lines: string[] = [];
    for (let i = 1; i <= 12; i++) lines.push(v2({ src: `10.1.0.${i}`, dst: '10.2.0.1', bytes: String(i * 10), pkts: '1' }));
    const r = run(lines, { preset: 'top-talkers' });
    expect(r.lines).toEqual([
      T('10.1.0.12', '10.2.0.1', 120, 1, 1),
      T('10.1.0.11', '10.2.0.1', 110, 1, 1),
      T('10.1.0.10', '10.2.0.1', 100, 1, 1),
      T('10.1.0.9', '10.2.0.1', 90, 1, 1),
      T('10.1.0.8', '10.2.0.1', 80, 1, 1),
      T('10.1.0.7', '10.2.0.1', 70, 1, 1),
      T('10.1.0.6', '10.2.0.1', 60, 1, 1),
      T('10.1.0.5', '10.2.0.1', 50, 1, 1),
      T('10.1.0.4', '10.2.0.1', 40, 1, 1),
      T('10.1.0.3', '10.2.0.1', 30, 1, 1),
    ]);
  });

  it('rejected-by-src: count of REJECT per srcaddr, count desc', () => {
    const r = run([
      v2({ src: '10.0.0.7', action: 'REJECT' }),
      v2({ src: '10.0.0.5', action: 'REJECT' }),
      v2({ src: '10.0.0.5', action: 'REJECT' }),
      v2({ src: '10.0.0.5', action: 'REJECT' }),
      v2({ src: '10.0.0.6', action: 'ACCEPT' }),
      v2({ src: '10.0.0.6', action: 'ACCEPT' }),
      v2({ src: '10.0.0.6', action: 'ACCEPT' }),
      v2({ src: '10.0.0.6', action: 'ACCEPT' }),
      v2({ src: '10.0.0.4', action: 'reject' }), // case-sensitive
    ], { preset: 'rejected-by-src' });
    expect(r.lines).toEqual([T('10.0.0.5', 3), T('10.0.0.7', 1)]);
  });

  it('rejected-by-src keeps 20 groups', () => {
    const lines: string[] = [];
    // 22 sources with 1 reject each, plus 10.9.0.99 with 2: top 20 = 10.9.0.99 then 19 smallest keys
    for (let i = 10; i < 32; i++) lines.push(v2({ src: `10.9.0.${i}`, action: 'REJECT' }));
    lines.push(v2({ src: '10.9.0.99', action: 'REJECT' }), v2({ src: '10.9.0.99', action: 'REJECT' }));
    const r = run(lines, { preset: 'rejected-by-src' });
    const expected = [T('10.9.0.99', 2)];
    for (let i = 10; i <= 28; i++) expected.push(T(`10.9.0.${i}`, 1));
    expect(r.lines).toEqual(expected);
  });

  it('port-scan: REJECTs per srcaddr with >= 20 distinct dstports', () => {
    const lines: string[] = [];
    for (let p = 1; p <= 20; p++) lines.push(v2({ src: '10.9.9.9', dport: String(p), action: 'REJECT' }));
    lines.push(v2({ src: '10.9.9.9', dport: '020', action: 'REJECT' })); // same port as 20
    lines.push(v2({ src: '10.9.9.9', dport: '-', action: 'REJECT' })); // ignored by distinct, counted
    for (let p = 1; p <= 19; p++) lines.push(v2({ src: '10.8.8.8', dport: String(p), action: 'REJECT' }));
    lines.push(v2({ src: '10.8.8.8', dport: '100', action: 'ACCEPT' })); // not a REJECT
    const r = run(lines, { preset: 'port-scan' });
    expect(r.lines).toEqual([T('10.9.9.9', 20, 22)]);
  });

  it('bytes-by-eni: sum bytes and packets per interface; all-dash sums are 0', () => {
    const r = run([
      v2({ eni: 'eni-b', bytes: '-', pkts: '-' }),
      v2({ eni: 'eni-a', bytes: '100', pkts: '1' }),
      v2({ eni: 'eni-a', bytes: '200', pkts: '2' }),
      v2({ eni: 'eni-a', bytes: '-', pkts: '-' }),
    ], { preset: 'bytes-by-eni' });
    expect(r.lines).toEqual([T('eni-a', 300, 3), T('eni-b', 0, 0)]);
  });

  it('ssh-rdp: dstport 22 or 3389 by value; group values stay as written', () => {
    const r = run([
      v2({ dport: '22' }),
      v2({ dport: '22' }),
      v2({ dport: '022' }),
      v2({ dport: '3389', action: 'REJECT' }),
      v2({ dport: '80' }),
      v2({ dport: '-' }),
      SSH,
      RDP,
    ], { preset: 'ssh-rdp' });
    expect(r.lines).toEqual([
      T('10.0.0.1', '022', 'ACCEPT', 1),
      T('10.0.0.1', '22', 'ACCEPT', 2),
      T('10.0.0.1', '3389', 'REJECT', 1),
      T('172.31.16.139', '22', 'ACCEPT', 1),
      T('172.31.9.69', '3389', 'REJECT', 1),
    ]);
  });
});

describe('line splitting and rule 1 (CR, spaces)', () => {
  it('counts lines as the spec says', () => {
    const p = { groupBy: 'action', maxBadFraction: '1' };
    expect(referenceFlowlogs([{ path: 'a', text: `${SSH}\n${RDP}\n` }], p).counters.inputRecords).toBe(2);
    expect(referenceFlowlogs([{ path: 'a', text: `${SSH}\n${RDP}` }], p).counters.inputRecords).toBe(2);
    expect(referenceFlowlogs([{ path: 'a', text: '' }], p).counters).toEqual({ inputRecords: 0, badRecords: 0, nodataRecords: 0, skipdataRecords: 0 });
    expect(referenceFlowlogs([{ path: 'a', text: '\n' }], p).counters).toEqual({ inputRecords: 1, badRecords: 1, nodataRecords: 0, skipdataRecords: 0 });
    expect(referenceFlowlogs([{ path: 'a', text: `${SSH}\n\n` }], p).counters).toEqual({ inputRecords: 2, badRecords: 1, nodataRecords: 0, skipdataRecords: 0 });
  });

  it('drops a trailing CR and surrounding spaces; fields split on runs of spaces', () => {
    const text = `${SSH}\r\n   ${RDP.replace(/ /g, '   ')}   \r\n${NODATA}\r\n`;
    const r = referenceFlowlogs([{ path: 'a', text }], { groupBy: 'action,log-status' });
    expect(r.lines).toEqual([T('ACCEPT', 'OK', 1), T('REJECT', 'OK', 1)]);
    expect(r.counters).toEqual({ inputRecords: 3, badRecords: 0, nodataRecords: 1, skipdataRecords: 0 });
  });
});

describe('rule 2: CloudWatch timestamp prefix', () => {
  it('strips every allowed prefix form', () => {
    const r = run([
      `2024-05-01T12:00:00Z ${v2({ bytes: '1' })}`,
      `2024-05-01T12:00:00.123Z ${v2({ bytes: '2' })}`,
      `2024-05-01T12:00:00.123+02:00 ${v2({ bytes: '4' })}`,
      `2024-05-01T12:00:00-05:00 ${v2({ bytes: '8' })}`,
      `2024-05-01T12:00:00 ${v2({ bytes: '16' })}`,
      v2({ bytes: '32' }),
    ], { groupBy: 'srcaddr', agg: 'count,sum:bytes' });
    expect(r.lines).toEqual([T('10.0.0.1', 6, 63)]);
    expect(r.counters.badRecords).toBe(0);
  });

  it('a CloudWatch-exported file (with CRLF) of the AWS examples', () => {
    const text = [SSH, RDP, NODATA, SKIPDATA].map((l, i) => `2015-12-14T10:0${i}:00.000Z ${l}\r\n`).join('');
    const r = referenceFlowlogs([{ path: 'cw/export.txt', text }], { groupBy: 'action', agg: 'sum:bytes' });
    expect(r.lines).toEqual([T('ACCEPT', 4249), T('REJECT', 4249)]);
    expect(r.counters).toEqual({ inputRecords: 4, badRecords: 0, nodataRecords: 1, skipdataRecords: 1 });
  });

  it('a malformed timestamp is not a prefix: the line has a wrong field count', () => {
    const r = run([
      `2024-05-01 12:00:00 ${v2()}`,
      `2024-05-01T12:00Z ${v2()}`,
      `2024-05-01T12:00:00Z${v2()}`, // no space after the prefix
      v2(),
    ], { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('10.0.0.1', 1)]);
    expect(r.counters.badRecords).toBe(3);
  });

  it('the fraction has exactly three digits (.fff), as the spec writes it', () => {
    const r = run([
      `2024-05-01T12:00:00.12Z ${v2()}`,
      `2024-05-01T12:00:00.123456Z ${v2()}`,
      `2024-05-01T12:00:00.Z ${v2()}`,
      `2024-05-01T12:00:00.999 ${v2()}`,
    ], { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('10.0.0.1', 1)]);
    expect(r.counters.badRecords).toBe(3);
  });

  it('the prefix is removed before header detection', () => {
    const r = referenceFlowlogs([file('cw.log', [
      '2024-05-01T12:00:00Z srcaddr bytes action',
      '2024-05-01T12:00:01Z 10.0.0.1 10 ACCEPT',
      '2024-05-01T12:00:02Z 10.0.0.1 5 ACCEPT',
    ])], { groupBy: 'srcaddr', agg: 'sum:bytes' });
    expect(r.lines).toEqual([T('10.0.0.1', 15)]);
    expect(r.counters).toEqual({ inputRecords: 3, badRecords: 0, nodataRecords: 0, skipdataRecords: 0 });
  });
});

describe('rule 3: header, fields, v2 precedence', () => {
  const V5_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status '
    + 'vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id '
    + 'pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
  const v5 = (bytes: string, svc: string, dir: string, path: string, status = 'OK') =>
    `5 123456789010 eni-0a 10.0.0.1 52.95.0.1 40000 443 6 1 ${bytes} 1700000000 1700000060 ACCEPT ${status} `
    + `vpc-01 subnet-01 i-01 19 IPv4 10.0.0.1 52.95.0.1 us-east-1 use1-az1 - - - ${svc} ${dir} ${path}`;

  it('reads a v5 file by its header', () => {
    const r = referenceFlowlogs([file('v5.log', [
      V5_HEADER,
      v5('500', 'S3', 'egress', '8'),
      v5('300', 'S3', 'egress', '1'),
      v5('7', 'DYNAMODB', 'egress', '-'),
      v5('-', '-', '-', '-', 'NODATA'),
      v5('1', 'S3', 'ingress', 'x'), // traffic-path is numeric: bad
    ])], { groupBy: 'pkt-dst-aws-service,flow-direction', agg: 'sum:bytes,max:traffic-path,min:traffic-path,max:tcp-flags', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('DYNAMODB', 'egress', 7, '-', '-', 19), T('S3', 'egress', 800, 8, 1, 19)]);
    expect(r.counters).toEqual({ inputRecords: 6, badRecords: 1, nodataRecords: 1, skipdataRecords: 0 });
  });

  it('a header in a custom order applies to its file only; other files use fields= or v2', () => {
    const files = [
      file('a-header.log', ['bytes srcaddr action', '10 10.0.0.1 ACCEPT', '20 10.0.0.2 REJECT']),
      file('b-fields.log', ['10.0.0.1 ACCEPT 1000']), // read with fields=srcaddr,action,bytes
    ];
    const r = referenceFlowlogs(files, { fields: 'srcaddr,action,bytes', groupBy: 'srcaddr', agg: 'sum:bytes' });
    expect(r.lines).toEqual([T('10.0.0.1', 1010), T('10.0.0.2', 20)]);
    expect(r.counters.badRecords).toBe(0);
  });

  it('without header or fields, the v2 format; a v2 line in a fields= job is bad', () => {
    const r1 = run([SSH], { groupBy: 'srcaddr' });
    expect(r1.lines).toEqual([T('172.31.16.139', 1)]);
    const r2 = run([SSH], { groupBy: 'srcaddr', fields: 'srcaddr,dstaddr', maxBadFraction: '1' });
    expect(r2.lines).toEqual([]);
    expect(r2.counters.badRecords).toBe(1);
  });

  it('a header line that is not the first line is a data line (bad)', () => {
    const r = run([SSH, 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'],
      { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('172.31.16.139', 1)]);
    expect(r.counters).toEqual({ inputRecords: 2, badRecords: 1, nodataRecords: 0, skipdataRecords: 0 });
  });

  it('a first line with one unknown token is not a header', () => {
    const r = run(['srcaddr bytes colour', v2()], { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('10.0.0.1', 1)]);
    expect(r.counters.badRecords).toBe(1);
  });

  it('a header of the default v2 fields (S3 delivery) is skipped, not bad', () => {
    const r = referenceFlowlogs([file('s3.log', [
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      SSH, RDP,
    ])], { groupBy: 'action' });
    expect(r.lines).toEqual([T('ACCEPT', 1), T('REJECT', 1)]);
    expect(r.counters).toEqual({ inputRecords: 3, badRecords: 0, nodataRecords: 0, skipdataRecords: 0 });
  });
});

describe('rule 4: field count and numbers', () => {
  it('digits only; account-id is text; leading zeros are numbers', () => {
    const r = run([
      v2({ bytes: '1e3' }),
      v2({ bytes: '0x1F' }),
      v2({ bytes: '1.5' }),
      v2({ bytes: '-1' }),
      v2({ bytes: '12abc' }),
      v2({ sport: '+5' }),
      v2({ bytes: '007', account: 'unknown' }),
      v2({ bytes: '-' }),
      `${v2()} extra`,
      v2().split(' ').slice(0, 13).join(' '),
    ], { groupBy: 'account-id', agg: 'count,sum:bytes', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('123456789010', 1, 0), T('unknown', 1, 7)]);
    expect(r.counters).toEqual({ inputRecords: 10, badRecords: 8, nodataRecords: 0, skipdataRecords: 0 });
  });

  it('version, protocol, start, end are numeric too', () => {
    const lines = [
      SSH.replace(/^2 /, 'v2 '),
      SSH.replace(' 6 20 ', ' tcp 20 '),
      SSH.replace('1418530010', '2014-12-14'),
      SSH.replace('1418530070', 'later'),
      SSH,
    ];
    const r = run(lines, { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.lines).toEqual([T('172.31.16.139', 1)]);
    expect(r.counters.badRecords).toBe(4);
  });
});

describe('rule 5: blank lines and order of checks', () => {
  it('a blank or spaces-only line is bad', () => {
    const r = run([SSH, '', '    ', '\r'], { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.counters).toEqual({ inputRecords: 4, badRecords: 3, nodataRecords: 0, skipdataRecords: 0 });
  });

  it('a NODATA line with a bad number is bad, not NODATA', () => {
    const r = run([NODATA.replace('1431280876', 'x'), NODATA], { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.counters).toEqual({ inputRecords: 2, badRecords: 1, nodataRecords: 1, skipdataRecords: 0 });
  });

  it('counters do not depend on the query', () => {
    const lines = [SSH, RDP, NODATA, SKIPDATA, 'garbage', v2({ action: 'REJECT' })];
    const a = run(lines, { groupBy: 'srcaddr', maxBadFraction: '1' });
    const b = run(lines, { groupBy: 'dstport', where: 'action=REJECT;bytes>100000', maxBadFraction: '1' });
    const expected = { inputRecords: 6, badRecords: 1, nodataRecords: 1, skipdataRecords: 1 };
    expect(a.counters).toEqual(expected);
    expect(b.counters).toEqual(expected);
    expect(b.lines).toEqual([]);
  });
});

describe('rule 6: fields missing from the format read as -', () => {
  it('groupBy, where, aggregates on a missing field', () => {
    const r = run(['10.0.0.1 10', '10.0.0.1 20', '10.0.0.2 5'],
      { fields: 'srcaddr,bytes', groupBy: 'srcaddr,action', agg: 'count,sum:bytes,sum:packets,max:dstport,distinct:vpc-id' });
    expect(r.lines).toEqual([T('10.0.0.1', '-', 2, 30, 0, '-', 0), T('10.0.0.2', '-', 1, 5, 0, '-', 0)]);
    // no log-status in the format: nothing is NODATA
    expect(r.counters.nodataRecords).toBe(0);
    expect(run(['10.0.0.1 10'], { fields: 'srcaddr,bytes', groupBy: 'srcaddr', where: 'action!=REJECT' }).lines).toEqual([]);
  });
});

describe('rule 7: where', () => {
  const lines = [
    v2({ src: '10.0.0.1', bytes: '50' }),
    v2({ src: '10.0.0.2', bytes: '100' }),
    v2({ src: '10.0.0.3', bytes: '0150' }),
    v2({ src: '10.0.0.4', bytes: '-' }),
    v2({ src: '10.0.0.10', bytes: '9', action: 'REJECT' }),
    v2({ src: '10.0.0.11', bytes: '9', action: '-' }),
  ];
  const srcs = (where: string) => run(lines, { groupBy: 'srcaddr', where }).lines.map((l) => l.split('\t')[0]);

  it('numeric fields compare as numbers; - satisfies nothing', () => {
    expect(srcs('bytes>100')).toEqual(['10.0.0.3']);
    expect(srcs('bytes>=100')).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(srcs('bytes<100')).toEqual(['10.0.0.1', '10.0.0.10', '10.0.0.11']);
    expect(srcs('bytes<=100')).toEqual(['10.0.0.1', '10.0.0.10', '10.0.0.11', '10.0.0.2']);
    expect(srcs('bytes=150')).toEqual(['10.0.0.3']);
    expect(srcs('bytes=00100')).toEqual(['10.0.0.2']);
    expect(srcs('bytes!=100')).toEqual(['10.0.0.1', '10.0.0.10', '10.0.0.11', '10.0.0.3']);
    expect(srcs('bytes>10')).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']); // 9 < 10 numerically
  });

  it('alternatives: = any of them, != none of them', () => {
    expect(srcs('bytes=50|150')).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(srcs('bytes!=50|150')).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.2']);
    expect(srcs('action=ACCEPT|REJECT')).toEqual(['10.0.0.1', '10.0.0.10', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(srcs('action!=ACCEPT|REJECT')).toEqual([]); // 10.0.0.11 has '-'
    expect(srcs('action!=ACCEPT')).toEqual(['10.0.0.10']);
  });

  it('text compares case-sensitively, as strings', () => {
    expect(srcs('action=reject')).toEqual([]);
    expect(srcs('action=REJECT')).toEqual(['10.0.0.10']);
    // string order: "10.0.0.10" < "10.0.0.2"
    expect(srcs('srcaddr<10.0.0.2')).toEqual(['10.0.0.1', '10.0.0.10', '10.0.0.11']);
    expect(srcs('srcaddr>=10.0.0.3')).toEqual(['10.0.0.3', '10.0.0.4']);
  });

  it('all conditions must hold; spaces around operators are allowed', () => {
    expect(srcs(' bytes >= 50 ; action = ACCEPT ')).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(srcs('bytes<100;action!=ACCEPT')).toEqual(['10.0.0.10']);
  });

  it('query errors', () => {
    expect(() => run(lines, { groupBy: 'srcaddr', where: 'bytes>abc' })).toThrow();
    expect(() => run(lines, { groupBy: 'srcaddr', where: 'bytes>1.5' })).toThrow();
    expect(() => run(lines, { groupBy: 'srcaddr', where: 'dstport=22|ssh' })).toThrow();
    expect(() => run(lines, { groupBy: 'srcaddr', where: 'colour=red' })).toThrow();
    expect(() => run(lines, { groupBy: 'srcaddr', where: 'bytes' })).toThrow();
    // a query error does not depend on the data
    expect(() => referenceFlowlogs([], { groupBy: 'srcaddr', where: 'bytes>abc' })).toThrow();
    expect(() => referenceFlowlogs([], { groupBy: 'srcaddr', where: 'srcport=-' })).toThrow();
  });
});

describe('rule 8: aggregates', () => {
  const lines = [
    v2({ src: '10.0.0.1', dst: '10.0.0.10', dport: '22', bytes: '9', pkts: '-' }),
    v2({ src: '10.0.0.1', dst: '10.0.0.9', dport: '022', bytes: '0100', pkts: '-' }),
    v2({ src: '10.0.0.1', dst: '-', dport: '-', bytes: '10', pkts: '-' }),
    v2({ src: '10.0.0.1', dst: '10.0.0.9', dport: '23', bytes: '-', pkts: '-' }),
  ];

  it('count, sum, min, max, distinct ignoring -', () => {
    const r = run(lines, {
      groupBy: 'srcaddr',
      agg: 'count,sum:bytes,min:bytes,max:bytes,distinct:dstport,distinct:dstaddr,min:dstaddr,max:dstaddr,sum:packets,min:packets,max:packets,distinct:packets',
    });
    // bytes 9, 0100, 10 -> sum 119, min 9, max 100 (as numbers); dstport {22, 022, 23} -> 2 values
    // dstaddr {10.0.0.10, 10.0.0.9} -> min "10.0.0.10", max "10.0.0.9" (strings); packets all '-'
    expect(r.lines).toEqual([T('10.0.0.1', 4, 119, 9, 100, 2, 2, '10.0.0.10', '10.0.0.9', 0, '-', '-', 0)]);
  });

  it('sums are exact beyond 2^53', () => {
    const r = run([v2({ bytes: '9007199254740993' }), v2({ bytes: '9007199254740993' }), v2({ bytes: '1' })], { groupBy: 'srcaddr', agg: 'sum:bytes' });
    expect(r.lines).toEqual([T('10.0.0.1', '18014398509481987')]);
  });

  it('aggregates may repeat and follow agg order', () => {
    expect(run([v2(), v2()], { groupBy: 'srcaddr', agg: 'sum:bytes,count,sum:bytes' }).lines).toEqual([T('10.0.0.1', 200, 2, 200)]);
  });

  it('query errors: sum of text, unknown agg or field', () => {
    expect(() => run(lines, { groupBy: 'srcaddr', agg: 'sum:srcaddr' })).toThrow();
    expect(() => run(lines, { groupBy: 'srcaddr', agg: 'avg:bytes' })).toThrow();
    expect(() => run(lines, { groupBy: 'srcaddr', agg: 'sum:colour' })).toThrow();
    expect(() => run(lines, { groupBy: 'colour' })).toThrow();
    expect(() => referenceFlowlogs([], { groupBy: 'srcaddr', agg: 'sum:action' })).toThrow();
  });
});

describe('rule 9: having, top, orderBy', () => {
  const lines = [
    v2({ src: '10.0.0.1', dport: '22', bytes: '10' }),
    v2({ src: '10.0.0.1', dport: '22', bytes: '20' }),
    v2({ src: '10.0.0.2', dport: '8080', bytes: '5' }),
    v2({ src: '10.0.0.3', dport: '-', bytes: '-' }),
    v2({ src: '10.0.0.3', dport: '-', bytes: '-' }),
    v2({ src: '10.0.0.3', dport: '-', bytes: '-' }),
  ];
  const base = { groupBy: 'srcaddr,dstport', agg: 'count,max:bytes' };

  it('having on an aggregate column or a groupBy field, as numbers; - fails', () => {
    expect(run(lines, { ...base, having: 'count>=2' }).lines).toEqual([T('10.0.0.1', 22, 2, 20), T('10.0.0.3', '-', 3, '-')]);
    expect(run(lines, { ...base, having: 'dstport>1000' }).lines).toEqual([T('10.0.0.2', 8080, 1, 5)]);
    expect(run(lines, { ...base, having: 'max_bytes>=0' }).lines).toEqual([T('10.0.0.1', 22, 2, 20), T('10.0.0.2', 8080, 1, 5)]);
    expect(run(lines, { ...base, having: 'count>=2;max_bytes<100' }).lines).toEqual([T('10.0.0.1', 22, 2, 20)]);
    expect(run(lines, { ...base, having: 'count != 2' }).lines).toEqual([T('10.0.0.2', 8080, 1, 5), T('10.0.0.3', '-', 3, '-')]);
  });

  it('having on a text column: a value that is not a number fails, like -', () => {
    const data = [v2({ account: '123' }), v2({ account: 'unknown' }), v2({ account: '7', src: '10.0.0.2' })];
    expect(run(data, { groupBy: 'account-id', having: 'account-id>=0' }).lines).toEqual([T('123', 1), T('7', 1)]);
    // compared as numbers: 7 < 100 although "7" > "100" as strings
    expect(run(data, { groupBy: 'account-id', having: 'account-id<100' }).lines).toEqual([T('7', 1)]);
    expect(run(data, { groupBy: 'srcaddr', agg: 'count,min:srcaddr', having: 'min_srcaddr>0' }).lines).toEqual([]);
  });

  it('top with orderBy: descending, - lowest, ties by key', () => {
    expect(run(lines, { ...base, top: '3', orderBy: 'max_bytes' }).lines).toEqual([
      T('10.0.0.1', 22, 2, 20), T('10.0.0.2', 8080, 1, 5), T('10.0.0.3', '-', 3, '-'),
    ]);
    expect(run(lines, { ...base, top: '1', orderBy: 'count' }).lines).toEqual([T('10.0.0.3', '-', 3, '-')]);
    // orderBy a groupBy field: 8080 > 22 numerically, '-' last
    expect(run(lines, { ...base, top: '5', orderBy: 'dstport' }).lines).toEqual([
      T('10.0.0.2', 8080, 1, 5), T('10.0.0.1', 22, 2, 20), T('10.0.0.3', '-', 3, '-'),
    ]);
    // ties on count=1 broken by key ascending
    const ties = [v2({ src: '10.0.0.9' }), v2({ src: '10.0.0.10' }), v2({ src: '10.0.0.8' })];
    expect(run(ties, { groupBy: 'srcaddr', top: '2', orderBy: 'count' }).lines).toEqual([T('10.0.0.10', 1), T('10.0.0.8', 1)]);
  });

  it('numeric ordering is by value, text ordering by string', () => {
    const data = [v2({ src: 'b', bytes: '9' }), v2({ src: 'a', bytes: '10' }), v2({ src: 'c', bytes: '010' })];
    expect(run(data, { groupBy: 'srcaddr', agg: 'sum:bytes', top: '3', orderBy: 'sum_bytes' }).lines).toEqual([T('a', 10), T('c', 10), T('b', 9)]);
    expect(run(data, { groupBy: 'srcaddr', agg: 'sum:bytes', top: '3', orderBy: 'srcaddr' }).lines).toEqual([T('c', 10), T('b', 9), T('a', 10)]);
  });

  it('having applies before top', () => {
    expect(run(lines, { ...base, having: 'count<3', top: '1', orderBy: 'count' }).lines).toEqual([T('10.0.0.1', 22, 2, 20)]);
  });

  it('orderBy without top is ignored; top=0 gives no lines; top without orderBy is an error', () => {
    expect(run(lines, { ...base, orderBy: 'count' }).lines).toEqual([T('10.0.0.1', 22, 2, 20), T('10.0.0.2', 8080, 1, 5), T('10.0.0.3', '-', 3, '-')]);
    expect(run(lines, { ...base, top: '0', orderBy: 'count' }).lines).toEqual([]);
    expect(() => run(lines, { ...base, top: '2' })).toThrow();
    expect(() => run(lines, { ...base, top: '2', orderBy: 'sum_bytes' })).toThrow();
    expect(() => run(lines, { ...base, having: 'sum_bytes>1' })).toThrow();
  });
});

describe('rule 10: maxBadFraction', () => {
  const good = (n: number) => Array.from({ length: n }, () => v2());

  it('passes when bad / non-header lines equals F (default 0.1)', () => {
    const r = run([...good(9), 'bad line'], { groupBy: 'srcaddr' });
    expect(r.error).toBeUndefined();
    expect(r.lines).toEqual([T('10.0.0.1', 9)]);
    expect(r.counters.badRecords).toBe(1);
  });

  it('fails above F, naming the first bad line in path order, and still returns the counters', () => {
    const files = [
      file('s3://b/logs/2.log', [v2(), 'oops']),
      file('s3://b/logs/1.log', [
        'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
        v2(), v2({ bytes: '1.5' }), v2(),
      ]),
    ];
    const r = referenceFlowlogs(files, { groupBy: 'srcaddr' });
    // 2 bad of 5 non-header lines = 0.4 > 0.1; first bad in path order: 1.log line 3 (header is line 1)
    expect(r.error).toBeDefined();
    expect(r.error).toContain('s3://b/logs/1.log');
    expect(r.error).toMatch(/1\.log\D+3\b/);
    expect(r.counters).toEqual({ inputRecords: 6, badRecords: 2, nodataRecords: 0, skipdataRecords: 0 });
  });

  it('header lines are not in the denominator; NODATA lines are', () => {
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
    // 1 bad of 9 non-header lines = 0.111 > 0.1 (1/10 would pass)
    const r1 = referenceFlowlogs([file('h.log', [header, ...good(8), 'x'])], { groupBy: 'srcaddr' });
    expect(r1.error).toContain('h.log');
    expect(r1.error).toMatch(/h\.log\D+10\b/);
    // 1 bad of 10 non-header lines (NODATA included) = 0.1: passes
    const r2 = run([NODATA, NODATA, NODATA, NODATA, NODATA, SKIPDATA, ...good(3), 'x'], { groupBy: 'srcaddr' });
    expect(r2.error).toBeUndefined();
    expect(r2.lines).toEqual([T('10.0.0.1', 3)]);
  });

  it('explicit F', () => {
    const lines = [v2(), 'x', 'y', v2()];
    expect(run(lines, { groupBy: 'srcaddr', maxBadFraction: '0.5' }).error).toBeUndefined();
    const r = run(lines, { groupBy: 'srcaddr', maxBadFraction: '0.4' });
    expect(r.error).toContain('s3://bucket/a.log');
    expect(r.error).toMatch(/a\.log\D+2\b/);
    expect(run([v2(), 'x'], { groupBy: 'srcaddr', maxBadFraction: '0' }).error).toBeDefined();
    expect(run([v2()], { groupBy: 'srcaddr', maxBadFraction: '0' }).error).toBeUndefined();
  });
});

describe('rule 11: presets and explicit params', () => {
  const lines = [
    v2({ src: '10.0.0.1', dst: '10.0.0.2', bytes: '100', pkts: '1' }),
    v2({ src: '10.0.0.3', dst: '10.0.0.4', bytes: '300', pkts: '3' }),
    v2({ src: '10.0.0.5', dst: '10.0.0.6', bytes: '200', pkts: '2', action: 'REJECT' }),
  ];

  it('an explicit param replaces the preset value', () => {
    expect(run(lines, { preset: 'top-talkers', top: '1' }).lines).toEqual([T('10.0.0.3', '10.0.0.4', 300, 3, 1)]);
    expect(run(lines, { preset: 'top-talkers', where: 'action=REJECT' }).lines).toEqual([T('10.0.0.5', '10.0.0.6', 200, 2, 1)]);
    expect(run(lines, { preset: 'rejected-by-src', where: 'action=ACCEPT' }).lines).toEqual([T('10.0.0.1', 1), T('10.0.0.3', 1)]);
    expect(run(lines, { preset: 'bytes-by-eni', agg: 'count' }).lines).toEqual([T('eni-0a', 3)]);
  });

  it('an empty value clears the preset value', () => {
    // no top: every group, sorted by key
    expect(run(lines, { preset: 'top-talkers', top: '' }).lines).toEqual([
      T('10.0.0.1', '10.0.0.2', 100, 1, 1), T('10.0.0.3', '10.0.0.4', 300, 3, 1), T('10.0.0.5', '10.0.0.6', 200, 2, 1),
    ]);
    expect(run(lines, { preset: 'port-scan', having: '' }).lines).toEqual([T('10.0.0.5', 1, 1)]);
    expect(run(lines, { preset: 'rejected-by-src', where: '' }).lines).toEqual([T('10.0.0.1', 1), T('10.0.0.3', 1), T('10.0.0.5', 1)]);
  });

  it('refuses unknown params and presets; groupBy is required', () => {
    expect(() => run(lines, { groupBy: 'srcaddr', colour: 'red' })).toThrow();
    expect(() => run(lines, { preset: 'nope' })).toThrow();
    expect(() => run(lines, {})).toThrow();
    expect(() => run(lines, { preset: 'ssh-rdp', groupBy: '' })).toThrow();
    // preset top-talkers orders by sum_bytes: removing that column makes orderBy unknown
    expect(() => run(lines, { preset: 'top-talkers', agg: 'count' })).toThrow();
  });
});

describe('rule 12: inputRecords', () => {
  it('counts every line read, headers and bad lines included, over all files', () => {
    const r = referenceFlowlogs([
      file('a', ['srcaddr bytes', '10.0.0.1 5', '']),
      file('b', [SSH, NODATA, SKIPDATA, 'junk']),
    ], { groupBy: 'srcaddr', maxBadFraction: '1' });
    expect(r.counters).toEqual({ inputRecords: 7, badRecords: 2, nodataRecords: 1, skipdataRecords: 1 });
    expect(r.lines).toEqual([T('10.0.0.1', 1), T('172.31.16.139', 1)]);
  });
});

describe('output order', () => {
  it('keys ascend by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes EF BD 9E) vs U+1F600 (4 bytes F0 ...): bytes put U+FF5E first,
    // while UTF-16 puts the surrogate pair (D83D) first.
    const r = run([v2({ src: '\u{1F600}' }), v2({ src: '\uFF5E' }), v2({ src: 'z' })], { groupBy: 'srcaddr' });
    expect(r.lines).toEqual([T('z', 1), T('\uFF5E', 1), T('\u{1F600}', 1)]);
  });
});
