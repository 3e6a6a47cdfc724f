import { describe, expect, it } from 'vitest';
import { KNOWN_FIELDS, NUMERIC_FIELDS, V2_FIELDS } from './fields.js';
import { Fields, Format, headerFields, MAX_EXACT_DIGITS, parseFieldsParam, stripPrefix } from './format.js';
import { QueryError } from './query.js';

// flowlogs.md "Input": AWS's documented example records (default v2 format)
const ACCEPTED_SSH = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const REJECTED_RDP = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const NODATA = '2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - NODATA';
const V5_HEADER = 'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';

const v2 = new Format(V2_FIELDS);

describe('fields (flowlogs.md "Input", rule 4)', () => {
  it('the default format is the 14 v2 fields in AWS order', () => {
    expect(V2_FIELDS.join(' ')).toBe('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status');
  });
  it('known fields: every field of v2-v8 (40), the numeric ones among them', () => {
    expect(KNOWN_FIELDS.size).toBe(40);
    for (const f of ['reject-reason', 'ecs-task-id', 'traffic-path', 'sublocation-id', 'pkt-dstaddr']) expect(KNOWN_FIELDS.has(f)).toBe(true);
    for (const f of NUMERIC_FIELDS) expect(KNOWN_FIELDS.has(f)).toBe(true);
    expect([...NUMERIC_FIELDS].sort()).toEqual(['bytes', 'dstport', 'end', 'packets', 'protocol', 'srcport', 'start', 'tcp-flags', 'traffic-path', 'version']);
  });
});

describe('rule 1: lines, spaces', () => {
  it('leading and trailing spaces are ignored; runs of spaces separate fields', () => {
    expect(stripPrefix(`   ${ACCEPTED_SSH}   `)).toBe(ACCEPTED_SSH);
    const tokens = v2.parse(stripPrefix(`  ${ACCEPTED_SSH.replaceAll(' ', '   ')} `));
    expect(tokens).toEqual(ACCEPTED_SSH.split(' '));
  });
  it('only spaces separate fields: a tab stays inside a token', () => {
    expect(v2.parse(ACCEPTED_SSH.replace(' ', '\t'))).toBe('13 fields, the format has 14');
  });
});

describe('rule 2: the CloudWatch prefix', () => {
  for (const prefix of ['2024-03-01T12:00:00Z', '2024-03-01T12:00:00.123Z', '2024-03-01T12:00:00', '2024-03-01T12:00:00.123', '2024-03-01T12:00:00+05:30', '2024-03-01T12:00:00.999-07:00']) {
    it(`'${prefix} ' is dropped`, () => {
      expect(stripPrefix(`${prefix} ${ACCEPTED_SSH}`)).toBe(ACCEPTED_SSH);
      expect(stripPrefix(` ${prefix}   ${ACCEPTED_SSH} `)).toBe(ACCEPTED_SSH);
    });
  }
  for (const notPrefix of ['2024-03-01 12:00:00Z', '2024-03-01T12:00Z', '2024-03-01T12:00:00.12Z', '2024-03-01T12:00:00+0530', '2024-03-01T12:00:00z']) {
    it(`'${notPrefix} ' is not a prefix: the line keeps it (and then has a field too many)`, () => {
      expect(stripPrefix(`${notPrefix} ${ACCEPTED_SSH}`)).toBe(`${notPrefix} ${ACCEPTED_SSH}`);
    });
  }
  it('needs its space: a timestamp alone is a one-field line', () => {
    expect(stripPrefix('2024-03-01T12:00:00Z')).toBe('2024-03-01T12:00:00Z');
    expect(v2.parse(stripPrefix('2024-03-01T12:00:00Z '))).toBe('1 field, the format has 14');
  });
  it('is removed before header detection', () => {
    expect(headerFields(stripPrefix(`2024-03-01T12:00:00.000Z ${V5_HEADER}`))).toEqual(V5_HEADER.split(' '));
  });
});

describe('rule 3: header lines', () => {
  it('a v5 header gives its field order', () => {
    const fields = headerFields(V5_HEADER)!;
    expect(fields).toHaveLength(29);
    const f = new Format(fields);
    expect(f.index('version')).toBe(0);
    expect(f.index('traffic-path')).toBe(28);
  });
  it('the v2 header is a header; data lines and lines with one unknown name are not', () => {
    expect(headerFields(V2_FIELDS.join(' '))).toEqual(V2_FIELDS);
    expect(headerFields(ACCEPTED_SSH)).toBeUndefined();
    expect(headerFields('version account-id interface_id')).toBeUndefined();
    expect(headerFields('')).toBeUndefined();
  });
  it('`--param fields=..` names a custom format; unknown, empty or repeated names are refused', () => {
    expect(parseFieldsParam('srcaddr, dstaddr,bytes')).toEqual(['srcaddr', 'dstaddr', 'bytes']);
    expect(() => parseFieldsParam('srcaddr,dstadr')).toThrow(new QueryError("fields: unknown field 'dstadr'"));
    expect(() => parseFieldsParam('srcaddr,,bytes')).toThrow(/fields: empty field name/);
    expect(() => parseFieldsParam('bytes,bytes')).toThrow("fields: field 'bytes' given twice");
  });
});

describe('rule 4: numeric fields', () => {
  it('the AWS examples parse', () => {
    expect(v2.parse(ACCEPTED_SSH)).toEqual(ACCEPTED_SSH.split(' '));
    expect(v2.parse(REJECTED_RDP)).toEqual(REJECTED_RDP.split(' '));
  });
  it('`-` is allowed in numeric fields (the NODATA example)', () => {
    expect(v2.parse(NODATA)).toEqual(NODATA.split(' '));
  });
  for (const bad of ['1e3', '0x1F', '1.5', '-1', '12abc', '+5', '٣']) {
    it(`'${bad}' is not a number`, () => {
      const line = ACCEPTED_SSH.replace(' 22 ', ` ${bad} `);
      expect(v2.parse(line)).toBe(`dstport '${bad}' is not a number`);
    });
  }
  it('leading zeros are digits; account-id is text (`unknown`)', () => {
    expect(v2.parse(ACCEPTED_SSH.replace(' 22 ', ' 022 '))).not.toBeTypeOf('string');
    expect(v2.parse(ACCEPTED_SSH.replace('123456789010', 'unknown'))).not.toBeTypeOf('string');
  });
  it('tcp-flags and traffic-path are numeric too; a long bad token is cut short in the reason', () => {
    const f = new Format(['srcaddr', 'tcp-flags', 'traffic-path']);
    expect(f.parse('10.0.0.1 19 1')).toEqual(['10.0.0.1', '19', '1']);
    expect(f.parse('10.0.0.1 SYN 1')).toBe("tcp-flags 'SYN' is not a number");
    expect(f.parse(`10.0.0.1 2 ${'x'.repeat(100)}`)).toBe(`traffic-path '${'x'.repeat(40)}...' is not a number`);
  });
});

describe('rule 5: bad records', () => {
  it('a blank line (or one of spaces only) is bad', () => {
    expect(v2.parse(stripPrefix(''))).toBe('blank line');
    expect(v2.parse(stripPrefix('    '))).toBe('blank line');
  });
  it('a field count that does not match the format is bad', () => {
    expect(v2.parse('2 123456789010 eni-1')).toBe('3 fields, the format has 14');
    expect(v2.parse(`${ACCEPTED_SSH} extra`)).toBe('15 fields, the format has 14');
  });
});

describe('rule 6: fields the format lacks', () => {
  it('index is -1 for a known field the format lacks', () => {
    expect(v2.index('vpc-id')).toBe(-1);
    expect(v2.index('log-status')).toBe(13);
    expect(new Format(['srcaddr', 'bytes']).fields).toEqual(['srcaddr', 'bytes']);
  });
});

describe('scan reads short numbers in the same pass (the hot path of sum)', () => {
  it('num is the value of a numeric field of digits, -1 for `-`, long numbers and text fields', () => {
    const f = new Fields();
    const long = '9'.repeat(MAX_EXACT_DIGITS + 1);
    expect(v2.scan(Buffer.from(`2 123456789010 eni-1 10.0.0.1 10.0.0.2 022 - 6 ${'9'.repeat(MAX_EXACT_DIGITS)} ${long}  1418530010 1418530070 ACCEPT OK`), f)).toBeUndefined();
    expect(f.num(0)).toBe(2);
    expect(f.num(1)).toBe(-1); // account-id is text, even when it is digits
    expect(f.num(3)).toBe(-1);
    expect(f.num(5)).toBe(22);
    expect(f.num(6)).toBe(-1);
    expect(f.isDash(6)).toBe(true);
    expect(f.num(8)).toBe(Number('9'.repeat(MAX_EXACT_DIGITS)));
    expect(f.num(9)).toBe(-1); // past MAX_EXACT_DIGITS: read from its digits (exactly) when needed
    expect(f.get(9)).toBe(long);
    expect(f.num(10)).toBe(1418530010);
    expect([f.start(12), f.end(12)]).toEqual([f.bytes.indexOf('ACCEPT'), f.bytes.indexOf('ACCEPT') + 6]);
  });
  it('a record reused for the next line leaves no stale number behind', () => {
    const f = new Fields();
    expect(v2.scan(Buffer.from(ACCEPTED_SSH), f)).toBeUndefined();
    expect(f.num(9)).toBe(4249);
    expect(v2.scan(Buffer.from(NODATA), f)).toBeUndefined();
    expect(f.num(9)).toBe(-1);
    expect(Fields.of(ACCEPTED_SSH.split(' ')).num(9)).toBe(-1); // fields set by hand: read from the text
  });
  it('a format of more than 64 fields grows the record', () => {
    const names = Array.from({ length: 70 }, (_, i) => (i === 69 ? 'bytes' : 'srcaddr'));
    const f = new Fields();
    expect(new Format(names).scan(Buffer.from(`${'a '.repeat(69)}123`), f)).toBeUndefined();
    expect([f.get(68), f.get(69), f.num(69)]).toEqual(['a', '123', 123]);
  });
});

describe('scan reads a line where it lies: a range of the reader\'s chunk', () => {
  it('rules 1-2 within the range, bytes outside it ignored, text values decoded from UTF-8', () => {
    const line = ` 2024-03-01T12:00:00.000+05:30   ${ACCEPTED_SSH.replace('ACCEPT', 'ÄCCEPT')}  `;
    const chunk = Buffer.from(`9 9 9\n${line}\n2 x`);
    const start = 6;
    const f = new Fields();
    expect(v2.scan(chunk, f, start, start + Buffer.byteLength(line))).toBeUndefined();
    expect(f.all()).toEqual(ACCEPTED_SSH.replace('ACCEPT', 'ÄCCEPT').split(' '));
    expect(f.num(9)).toBe(4249);
    expect(f.is(13, 'OK')).toBe(true);
    expect(v2.scan(chunk, f, start, start + 20)).toBe('1 field, the format has 14'); // cut inside the prefix: not a prefix
  });
});
