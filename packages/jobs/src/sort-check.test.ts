import { compareUtf8 } from '@mr/shared/core';
import { describe, expect, it } from 'vitest';
import { RecordsGenerator } from './gen/records-gen.js';
import { rngFor } from './gen/rng.js';
import { InputRecords, SortedOutput } from './sort-check.js';
import { sortKeyLength } from './sort.js';

/** Feeds `text` in chunks of random sizes (1 byte and up), so every boundary case is crossed. */
function chunked(text: Buffer, seed: number, max = 300): Buffer[] {
  const r = rngFor(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < text.length;) {
    const n = 1 + Math.floor(r() * max);
    out.push(text.subarray(i, i + n));
    i += n;
  }
  return out;
}

function checkInput(files: Buffer[], seed = 1) {
  const c = new InputRecords();
  for (const f of files) {
    for (const chunk of chunked(f, seed)) c.push(chunk);
    c.endFile();
  }
  return { records: c.sum.records, bytes: c.sum.bytes, checksum: c.sum.checksum };
}

function checkOutput(parts: string[], seed = 1) {
  const c = new SortedOutput();
  parts.forEach((p, i) => {
    c.startPart(`part-${String(i).padStart(5, '0')}`);
    for (const chunk of chunked(Buffer.from(p), seed)) c.push(chunk);
    c.endPart();
  });
  return { records: c.sum.records, bytes: c.sum.bytes, checksum: c.sum.checksum, violation: c.violation };
}

/** What the sort job writes for these records: `key<TAB>value` lines, sorted, cut into parts at the given keys. */
function sortOutput(records: string[], splits: string[]): string[] {
  const lines = records.map((r) => {
    const n = sortKeyLength(r);
    return { key: r.slice(0, n), line: `${r.slice(0, n)}\t${r.slice(n)}\n` };
  }).sort((a, b) => compareUtf8(a.key, b.key));
  const parts = splits.map(() => '').concat('');
  for (const l of lines) {
    let p = 0;
    while (p < splits.length && compareUtf8(splits[p]!, l.key) <= 0) p++;
    parts[p] += l.line;
  }
  return parts;
}

describe('mr validate sort: the checks', () => {
  const records = Buffer.concat([...new RecordsGenerator({ count: 3000, files: 1, seed: 5 }).chunks(0)]).toString('latin1').split('\n').slice(0, -1);
  const input = Buffer.from(records.map((r) => r + '\n').join(''));

  it('a sorted output of the input passes, with the input\'s count and checksum, however the bytes are chunked', () => {
    const inp = checkInput([input]);
    expect(inp.records).toBe(3000);
    expect(inp.bytes).toBe(3000 * 99);
    const parts = sortOutput(records, ['5', 'P', 'k']);
    for (const seed of [1, 2, 3]) {
      const out = checkOutput(parts, seed);
      expect(out.violation).toBeUndefined();
      expect({ ...out, violation: undefined }).toEqual({ ...inp, violation: undefined });
      expect(checkInput([input], seed)).toEqual(inp);
    }
    // the checksum does not depend on how the input is cut into files
    expect(checkInput([input.subarray(0, 100 * 1234), input.subarray(100 * 1234)])).toEqual(inp);
  });

  it('records of any shape: short, empty, non-ASCII keys cut at a character, TABs, CRLF input lines, a last line without \\n', () => {
    const odd = ['', 'a', 'abc\tdef', '\t\t\t', '123456789é tail', '12345678é!x', '1234567😀 x', 'x'.repeat(30), '0123456789\tvalue\twith tabs'];
    const inp = checkInput([Buffer.from(odd.map((r) => r + '\r\n').join('').slice(0, -2))]);
    expect(inp.records).toBe(odd.length);
    const out = checkOutput(sortOutput(odd, ['1', 'x']), 4);
    expect(out.violation).toBeUndefined();
    expect(out.checksum).toBe(inp.checksum);
    expect(out.records).toBe(inp.records);
  });

  it('names the first out-of-order part and line: two lines swapped, or parts in the wrong order', () => {
    const parts = sortOutput(records, ['5', 'P', 'k']);
    const lines = parts[1]!.split('\n');
    [lines[9], lines[19]] = [lines[19]!, lines[9]!];
    const swapped = checkOutput([parts[0]!, lines.join('\n'), parts[2]!, parts[3]!]);
    expect(swapped.violation).toMatchObject({ part: 'part-00001', line: 11 });
    expect(swapped.violation!.message).toMatch(/^key ".*" sorts before the previous key ".*" \(line 10\)$/);
    const reordered = checkOutput([parts[0]!, parts[2]!, parts[1]!, parts[3]!]);
    expect(reordered.violation).toMatchObject({ part: 'part-00002', line: 1 });
    expect(reordered.violation!.message).toMatch(/\(the last key of part-00001\)$/);
    expect(checkOutput(['a\t1\nno tab here\n']).violation).toMatchObject({ part: 'part-00000', line: 2, message: expect.stringMatching(/not a key<TAB>value line/) });
  });

  it('a record lost, duplicated or changed changes the count or the checksum', () => {
    const inp = checkInput([input]);
    const parts = sortOutput(records, []);
    const lines = parts[0]!.split('\n');
    const lost = checkOutput([lines.slice(1).join('\n')]);
    expect(lost.records).toBe(inp.records - 1);
    const dup = checkOutput([[lines[0], ...lines.slice(0, -2)].join('\n') + '\n']);
    expect(dup.records).toBe(inp.records);
    expect(dup.checksum).not.toBe(inp.checksum);
    const changed = checkOutput([parts[0]!.replace(/ 0000000000000001 /, ' 0000000000000bb8 ')]);
    expect(changed.violation).toBeUndefined();
    expect(changed.checksum).not.toBe(inp.checksum);
  });
});
