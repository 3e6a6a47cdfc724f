import { describe, expect, it } from 'vitest';
import { FLOWLOGS_V2_FIELDS, FLOWLOGS_V5_FIELDS, FlowLogsGenerator, WINDOW_S, type FlowLogsGenOptions } from './flowlogs-gen.js';

const LINES = 20_000;
const gen = (o: Partial<FlowLogsGenOptions> = {}) => new FlowLogsGenerator({ files: 2, linesPerFile: LINES, seed: 1, version: 2, gzip: false, ...o });
const text = (o: Partial<FlowLogsGenOptions> = {}, index = 0, chunkBytes?: number) =>
  Buffer.concat([...gen(o).chunks(index, chunkBytes)]).toString('latin1');

/** The records of a file's text as fields (header dropped). */
function records(t: string, v5: boolean): string[][] {
  const lines = t.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  if (v5) expect(lines.shift()).toBe(FLOWLOGS_V5_FIELDS.join(' '));
  return lines.map((l) => l.split(' '));
}

const v2 = records(text(), false);
const v5 = records(text({ version: 5 }), true);
const col = (name: string) => FLOWLOGS_V5_FIELDS.indexOf(name as (typeof FLOWLOGS_V5_FIELDS)[number]);
const F = Object.fromEntries(FLOWLOGS_V5_FIELDS.map((f) => [f, col(f)])) as Record<(typeof FLOWLOGS_V5_FIELDS)[number], number>;
const data = (recs: string[][]) => recs.filter((r) => r[F['log-status']] === 'OK');
/** The first few records `check` finds a problem with (fast: one expect per test, not per line). */
const badLines = (recs: string[][], check: (r: string[]) => string | undefined) =>
  recs.flatMap((r) => {
    const why = check(r);
    return why ? [`${why}: ${r.join(' ')}`] : [];
  }).slice(0, 5);

describe('mr gen flowlogs: the generator', () => {
  it('is deterministic: the same seed gives the same bytes, whatever the chunk size; another seed or file differs', () => {
    const a = text();
    expect(text()).toBe(a);
    expect(text({}, 0, 1000)).toBe(a);
    expect(text({ files: 7 })).toBe(a); // file i does not depend on how many files there are
    expect(text({ seed: 2 })).not.toBe(a);
    expect(text({}, 1)).not.toBe(a);
    expect(gen().file(1).name).toBe(gen().file(1).name);
  });

  it('writes exactly --lines-per-file records, a v5 header first only with --version 5', () => {
    expect(v2).toHaveLength(LINES);
    expect(v5).toHaveLength(LINES);
    expect(text({ linesPerFile: 1 }).split('\n')).toHaveLength(2);
    expect(text().startsWith('2 ')).toBe(true);
    expect(text({ version: 5 }).split('\n', 1)[0]).toBe(
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path',
    );
  });

  // flowlogs.md "Precise rules" 4: these fields are digits or `-`
  const NUMERIC = ['version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'tcp-flags', 'traffic-path'];
  it.each([[2, v2, FLOWLOGS_V2_FIELDS.length], [5, v5, FLOWLOGS_V5_FIELDS.length]])('v%i: every line has the field count, numbers are digits or -, ids look like AWS ids', (version, recs, count) => {
    const w = gen().file(0);
    const numeric = NUMERIC.map(col).filter((i) => i < count);
    expect(badLines(recs, (r) => {
      if (r.length !== count) return 'field count';
      if (numeric.some((i) => !/^(\d+|-)$/.test(r[i]!))) return 'a numeric field';
      if (r[F.version] !== String(version) || !/^[1-9]\d{11}$/.test(r[F['account-id']]!) || !/^eni-[0-9a-f]{17}$/.test(r[F['interface-id']]!)) return 'ids';
      const [start, end] = [Number(r[F.start]), Number(r[F.end])];
      return start >= w.windowStart && start <= end && end < w.windowEnd ? undefined : 'outside the window';
    })).toEqual([]);
  });

  it('packets and bytes agree (40..1500 bytes a packet); protocols and ports are sensible', () => {
    expect(badLines(data(v2), (r) => {
      const [packets, bytes, proto, sport, dport] = [r[F.packets], r[F.bytes], r[F.protocol], r[F.srcport], r[F.dstport]].map(Number) as [number, number, number, number, number];
      if (packets < 1 || bytes < 40 * packets || bytes > 1500 * packets) return 'bytes a packet';
      if (![1, 6, 17].includes(proto)) return 'protocol';
      if (proto === 1) return sport === 0 && dport === 0 ? undefined : 'ICMP ports';
      if (Math.max(sport, dport) < 32768) return 'no ephemeral port';
      if (proto === 17 && ![53, 123, 161, 1900, 3389, 5060].includes(Math.min(sport, dport))) return 'UDP service';
      return undefined;
    })).toEqual([]);
    const dstports = new Set(data(v2).map((r) => r[F.dstport]));
    for (const p of ['443', '80', '22', '3389', '53']) expect(dstports).toContain(p);
    expect(data(v2).filter((r) => r[F.protocol] === '6').length / data(v2).length).toBeGreaterThan(0.6);
  });

  it('hundreds of ENIs; private 10/8, 172.16/12 and 192.168/16 addresses and public ones', () => {
    expect(new Set(v2.map((r) => r[F['interface-id']])).size).toBeGreaterThan(200);
    const addrs = new Set(data(v2).flatMap((r) => [r[F.srcaddr]!, r[F.dstaddr]!]));
    const is = (re: RegExp) => [...addrs].filter((a) => re.test(a)).length;
    expect(is(/^10\./)).toBeGreaterThan(50);
    expect(is(/^172\.(1[6-9]|2\d|3[01])\./)).toBeGreaterThan(50);
    expect(is(/^192\.168\./)).toBeGreaterThan(20);
    expect(is(/^(?!10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/)).toBeGreaterThan(200);
  });

  it('REJECT is 10-20% of the records', () => {
    const rejected = v2.filter((r) => r[F.action] === 'REJECT').length / v2.length;
    expect(rejected).toBeGreaterThan(0.1);
    expect(rejected).toBeLessThan(0.2);
  });

  it('port scanners: sources whose REJECTed records hit 20 or more distinct dstports (port-scan preset)', () => {
    const ports = new Map<string, Set<string>>();
    for (const r of v2) if (r[F.action] === 'REJECT') ports.set(r[F.srcaddr]!, (ports.get(r[F.srcaddr]!) ?? new Set()).add(r[F.dstport]!));
    const scanners = [...ports.values()].filter((s) => s.size >= 20);
    expect(scanners.length).toBeGreaterThanOrEqual(2);
    for (const s of scanners) expect(s.size).toBeLessThanOrEqual(500);
  });

  it("NODATA and SKIPDATA records in AWS's exact form", () => {
    const text2 = text();
    const nodata = text2.match(/^2 \d{12} eni-[0-9a-f]{17} - - - - - - - \d{10} \d{10} - NODATA$/gm) ?? [];
    const skip = text2.match(/^2 \d{12} eni-[0-9a-f]{17} - - - - - - - \d{10} \d{10} - SKIPDATA$/gm) ?? [];
    expect(nodata.length).toBeGreaterThan(10);
    expect(skip.length).toBeGreaterThan(2);
    expect(v2.filter((r) => r[F['log-status']] !== 'OK')).toHaveLength(nodata.length + skip.length);
  });

  it('a heavy tail: the top 1% of src/dst pairs carry most of the bytes', () => {
    const bytes = new Map<string, number>();
    for (const r of data(v2)) bytes.set(`${r[F.srcaddr]} ${r[F.dstaddr]}`, (bytes.get(`${r[F.srcaddr]} ${r[F.dstaddr]}`) ?? 0) + Number(r[F.bytes]));
    const sorted = [...bytes.values()].sort((a, b) => b - a);
    const total = sorted.reduce((a, b) => a + b, 0);
    const top = sorted.slice(0, Math.ceil(sorted.length / 100)).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.5);
  });

  it('v5: flow direction, traffic path only on egress, packet addresses, region and AZ, sublocation and AWS services as AWS writes them', () => {
    const name = gen().file(0).name;
    expect(badLines(data(v5), (r) => {
      if (r[F.type] !== 'IPv4' || r[F['pkt-srcaddr']] !== r[F.srcaddr] || r[F['pkt-dstaddr']] !== r[F.dstaddr]) return 'type, pkt addresses';
      if (!name.includes(`/${r[F.region]}/`) || !/^[a-z]+\d-az\d$/.test(r[F['az-id']]!)) return 'region, AZ';
      if (r[F['sublocation-type']] !== '-' || r[F['sublocation-id']] !== '-') return 'sublocation';
      if (!/^vpc-[0-9a-f]{17}$/.test(r[F['vpc-id']]!) || !/^subnet-[0-9a-f]{17}$/.test(r[F['subnet-id']]!) || !/^(i-[0-9a-f]{17}|-)$/.test(r[F['instance-id']]!)) return 'vpc, subnet, instance';
      const dir = `${r[F['flow-direction']]} ${r[F['traffic-path']]}`;
      if (!/^(ingress -|egress [1-8])$/.test(dir)) return 'direction, path';
      return r[F.protocol] !== '6' && r[F['tcp-flags']] !== '0' ? 'tcp-flags' : undefined;
    })).toEqual([]);
    const services = data(v5).map((r) => r[F['pkt-dst-aws-service']]);
    expect(services.filter((s) => s === '-').length / services.length).toBeGreaterThan(0.8);
    expect(services).toContain('S3');
    for (const r of v5.filter((r) => r[F['log-status']] !== 'OK')) expect(r.slice(3, 10).concat(r[F.action]!)).toEqual(Array(8).fill('-'));
  });

  it('file names follow the S3 delivery layout, 5-minute windows from a fixed date, a hash per seed and file', () => {
    const layout = /^AWSLogs\/(\d{12})\/vpcflowlogs\/([a-z]{2}-[a-z]+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_vpcflowlogs_\2_fl-[0-9a-f]{17}_\3\4\5T(\d{4})Z_([0-9a-f]{8})\.log$/;
    const g = gen({ files: 300 });
    const names = Array.from({ length: 300 }, (_, i) => g.file(i).name);
    for (const n of names) expect(n).toMatch(layout);
    expect(layout.exec(names[0]!)?.slice(3, 7)).toEqual(['2026', '01', '01', '0005']);
    expect(layout.exec(names[287]!)?.slice(3, 7)).toEqual(['2026', '01', '02', '0000']);
    expect(g.file(1).windowStart - g.file(0).windowStart).toBe(WINDOW_S);
    expect(new Set(names.map((n) => layout.exec(n)![7])).size).toBe(300);
    expect(gen({ gzip: true }).file(0).name).toBe(`${names[0]}.gz`);
    expect(gen({ seed: 2 }).file(0).name).not.toBe(names[0]);
  });
});
