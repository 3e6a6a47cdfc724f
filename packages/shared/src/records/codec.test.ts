import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatValue, RecordReader, RecordWriter } from './codec.js';

const records: [string, unknown][] = [
  ['', ''],
  ['word', 1],
  ['ünïcödé 😀', 'value\twith\ttabs'],
  ['json', { a: [1, 2, { b: null }] }],
  ['neg', -2.5],
  ['big', 2 ** 52 + 1],
  ['long', 'x'.repeat(300_000)],
  ['array', [1, 'two']],
  ['bool', true],
  // arrays of numbers (partial aggregates) go binary
  ['partial', [123_456_789_012, 3, 0.1, -7]],
  ['no numbers', []],
];

function readAll(r: RecordReader): [string, unknown][] {
  const out: [string, unknown][] = [];
  while (r.next()) out.push([r.key, r.value]);
  return out;
}

describe('shuffle record codec', () => {
  it('round-trips strings, numbers and JSON values through a buffer', () => {
    const w = new RecordWriter();
    for (const [k, v] of records) w.write(k, v);
    expect(readAll(RecordReader.fromBuffer(w.toBuffer()))).toEqual(records);
  });

  it('round-trips through a file larger than the 1 MiB read chunk, and reads byte ranges', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    const file = join(dir, 'runs');
    const fd = openSync(file, 'w');
    const w = new RecordWriter(fd);
    const many: [string, unknown][] = [];
    for (let i = 0; i < 200_000; i++) many.push([`k${i}`, i % 3 === 0 ? `v${i}` : i % 3 === 1 ? i : [i, i / 4]]);
    for (const [k, v] of many) w.write(k, v);
    const firstEnd = w.bytes;
    for (const [k, v] of records) w.write(k, v);
    w.flush();
    closeSync(fd);
    expect(readAll(RecordReader.fromFile(file))).toEqual([...many, ...records]);
    expect(readAll(RecordReader.fromFile(file, 0, firstEnd))).toEqual(many);
    expect(readAll(RecordReader.fromFile(file, firstEnd))).toEqual(records);
    expect(readAll(RecordReader.fromFile(file, firstEnd, 0))).toEqual([]);
  });

  it('an array of numbers longer than the 1 MiB read chunk, read decoded and raw', () => {
    const long = Array.from({ length: 140_000 }, (_, i) => i * 1.5 - 3);
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    const file = join(dir, 'long');
    const w = new RecordWriter();
    w.write('a', 1);
    w.write('numbers', long);
    w.write('z', [2]);
    writeFileSync(file, w.toBuffer());
    const r = RecordReader.fromFile(file);
    const got: [string, unknown][] = [];
    while (r.next()) got.push([r.key, r.value]);
    expect(got.map(([k]) => k)).toEqual(['a', 'numbers', 'z']);
    const back = got[1]![1] as number[];
    // compared as bytes: a deep equality over 140,000 elements takes seconds
    expect(Buffer.from(new Float64Array(back).buffer).equals(Buffer.from(new Float64Array(long).buffer))).toBe(true);
    expect(got[2]![1]).toEqual([2]);
    const raw = RecordReader.fromFile(file);
    let n = 0;
    while (raw.nextRaw()) n++;
    expect(n).toBe(3);
  });

  it('a corrupt length (a huge count of numbers, or string bytes) is a truncated record, not a failed allocation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    for (const tag of [3, 0]) {
      const file = join(dir, `corrupt-${tag}`);
      // key 'k', then the tag and a varint of 2^34
      writeFileSync(file, Buffer.from([1, 0x6b, tag, 0x80, 0x80, 0x80, 0x80, 0x40, 1, 2, 3]));
      expect(() => RecordReader.fromFile(file).next()).toThrow(/truncated/);
      expect(() => RecordReader.fromFile(file, 0, 11).next()).toThrow(/truncated/);
      expect(() => RecordReader.fromBuffer(readFileSync(file)).next()).toThrow(/truncated/);
    }
  });

  it('arrays that JSON would change (NaN, infinities, -0, holes) read back as JSON gives them, as before', () => {
    const odd: [string, unknown][] = [
      ['nan', [1, NaN]],
      ['inf', [Infinity, -Infinity]],
      ['negzero', [-0, 2]],
      ['hole', [1, , 3]],
      ['nested', [[1, 2], 3]],
    ];
    const w = new RecordWriter();
    for (const [k, v] of odd) w.write(k, v);
    const back = readAll(RecordReader.fromBuffer(w.toBuffer()));
    expect(back).toEqual(odd.map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));
    expect(Object.is((back[2]![1] as number[])[0], 0)).toBe(true); // not -0
  });

  it('a truncated file is an error, never a silent short read', () => {
    for (const value of ['a value that will be cut', [1, 2, 3]]) {
      const w = new RecordWriter();
      w.write('key', value);
      const dir = mkdtempSync(join(tmpdir(), 'codec-'));
      const file = join(dir, 'cut');
      writeFileSync(file, w.toBuffer().subarray(0, w.bytes - 3));
      expect(() => RecordReader.fromFile(file).next()).toThrow(/truncated record/);
      expect(() => RecordReader.fromFile(file).nextRaw()).toThrow(/truncated record/);
    }
  });

  it('encodes lengths exactly when UTF-8 needs a longer varint than the UTF-16 length suggests', () => {
    const tricky: [string, unknown][] = [
      ['é'.repeat(100), 'é'.repeat(100)], // 100 units, 200 bytes: 2-byte varint, not 1
      ['k', '東'.repeat(6000)], // 6,000 units, 18,000 bytes: 3-byte varint, not 2
      ['k', 'é'.repeat(5000)], // measured (long), not guessed
      ['lone \ud800 surrogate', 'x'], // encoded as U+FFFD, as Buffer.from does
    ];
    const w = new RecordWriter();
    for (const [k, v] of tricky) w.write(k, v);
    const expected = tricky.map(([k, v]) => [Buffer.from(k).toString(), v]);
    expect(readAll(RecordReader.fromBuffer(w.toBuffer()))).toEqual(expected);
    // byte for byte what a plain encoder writes: varint(bytes) key tag varint(bytes) value
    const [k, v] = [Buffer.from(tricky[0]![0]), Buffer.from(tricky[0]![1] as string)];
    expect(w.toBuffer().subarray(0, 2 + k.length + 1 + 2 + v.length)).toEqual(Buffer.concat([Buffer.from([0xc8, 0x01]), k, Buffer.from([0, 0xc8, 0x01]), v]));
  });

  it('reads records raw (undecoded) and copies them as they are', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    const file = join(dir, 'raw');
    const src = new RecordWriter();
    for (const [k, v] of records) src.write(k, v);
    writeFileSync(file, src.toBuffer());
    // through a file (records across its read chunks) into a second writer, raw
    const r = RecordReader.fromFile(file);
    const copy = new RecordWriter();
    const keys: string[] = [];
    while (r.nextRaw()) {
      keys.push(r.raw.toString('utf8', r.keyStart, r.keyEnd));
      copy.writeRaw(r.raw, r.rawStart, r.rawEnd);
    }
    expect(keys).toEqual(records.map(([k]) => k));
    expect(copy.toBuffer()).toEqual(src.toBuffer());
    expect(copy.records).toBe(records.length);
    // decodeRaw gives what next() does
    const d = RecordReader.fromBuffer(src.toBuffer());
    const decoded: [string, unknown][] = [];
    while (d.nextRaw()) {
      d.decodeRaw();
      decoded.push([d.key, d.value]);
    }
    expect(decoded).toEqual(records);
    // a cut record is an error here too
    writeFileSync(file, src.toBuffer().subarray(0, src.bytes - 3));
    const cut = RecordReader.fromFile(file);
    expect(() => {
      while (cut.nextRaw());
    }).toThrow(/truncated/);
  });

  it('formats output values as contract.md says: String() for strings and numbers, JSON otherwise', () => {
    expect(formatValue('a b')).toBe('a b');
    expect(formatValue(42)).toBe('42');
    expect(formatValue([1, 'x'])).toBe('[1,"x"]');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
});
