import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_FIRST_LINE_BYTES, readFirstLine, readSplitLineBytes, readSplitLines, setPieceForTests, type SplitRange } from './lines.js';

const dir = mkdtempSync(join(tmpdir(), 'lines-'));
let n = 0;
function file(content: string | Buffer, ext = '.txt'): string {
  const p = join(dir, `f${n++}${ext}`);
  writeFileSync(p, content);
  return p;
}

/**
 * Both readers of one split: the lines with their offsets, checked equal between the decoding
 * reader and the bytes reader (its lines decoded here), and the line count both report.
 */
async function readBoth(split: SplitRange): Promise<[string, number][]> {
  const text: [string, number][] = [];
  const bytes: [string, number][] = [];
  // the targets return undefined: a sync map's reader, which awaits nothing per line
  const a = await readSplitLines(split, { onLine: (l, off) => void text.push([l, off]) });
  const b = await readSplitLineBytes(split, { onBytes: (buf, s, e, off) => void bytes.push([buf.toString('utf8', s, e), off]) });
  expect(bytes, 'the bytes reader').toEqual(text);
  expect(b).toEqual(a);
  return text;
}

/** Reads a file as splits of `size` bytes (as the master cuts them) and returns all lines in order. */
async function readAllSplits(path: string, total: number, size: number): Promise<string[]> {
  const lines: string[] = [];
  for (let start = 0; start < Math.max(total, 1); start += size) {
    for (const [l] of await readBoth({ path, start, length: Math.min(size, total - start) })) lines.push(l);
  }
  return lines;
}

/** The reference: what a plain reader of the whole file sees. */
function expected(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

describe('split reader: every line read exactly once, whatever the cut (design.md step 1)', () => {
  const cases: Record<string, string> = {
    'plain lines': 'alpha\nbeta\ngamma\ndelta\n',
    'no final newline': 'alpha\nbeta\ngamma',
    'CRLF line ends': 'one\r\ntwo\r\nthree\r\n',
    'multibyte characters everywhere': 'Zürich — 東京\nnaïve café 😀😀\nß\n€uro\n',
    'empty lines': '\n\nx\n\n\ny\n',
    'a single newline': '\n',
    'one long line': 'x'.repeat(5000) + '\n' + 'short\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: split sizes from 1 byte to the whole file`, async () => {
      const bytes = Buffer.byteLength(text);
      const path = file(text);
      // every size for short texts; around the interesting cuts for the long line
      const sizes = bytes <= 100 ? Array.from({ length: bytes + 1 }, (_, i) => i + 1) : [1, 2, 3, 7, 64, 4999, 5000, 5001, 5002, bytes, bytes + 1];
      for (const size of sizes) {
        expect(await readAllSplits(path, bytes, size), `split size ${size}`).toEqual(expected(text));
      }
    });
  }

  it('an empty file gives no lines', async () => {
    const path = file('');
    expect(await readAllSplits(path, 0, 10)).toEqual([]);
  });

  it('chunk-sized inputs: lines across the 1 MiB read chunks and across splits', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 17)} ${'z'.repeat(i % 101)}`);
    const text = lines.join('\r\n') + '\r\n';
    const path = file(text);
    const bytes = Buffer.byteLength(text);
    expect(await readAllSplits(path, bytes, 1 << 20)).toEqual(lines);
    expect(await readAllSplits(path, bytes, 777_777)).toEqual(lines);
  });

  it('ASCII text decoded in pieces: lines, offsets and split ends are the same at any piece size', async () => {
    // ASCII and non-ASCII lines mixed, so pieces of both kinds meet; some lines longer than a piece
    const lines = Array.from({ length: 3000 }, (_, i) => `${i} ${i % 7 === 0 ? 'Zürich' : 'x'.repeat(i % 37)}${i % 500 === 0 ? 'y'.repeat(300) : ''}`);
    const text = lines.join('\n') + '\n';
    const path = file(text);
    const bytes = Buffer.byteLength(text);
    const withOffsets = async (size: number) => {
      const seen: [string, number][] = [];
      for (let start = 0; start < bytes; start += size) seen.push(...(await readBoth({ path, start, length: Math.min(size, bytes - start) })));
      return seen;
    };
    const reference = await withOffsets(bytes);
    expect(reference.map(([l]) => l)).toEqual(lines);
    try {
      for (const piece of [0, 1, 5, 64, 1000]) {
        setPieceForTests(piece);
        for (const size of [bytes, 4096, 777]) expect(await withOffsets(size), `piece ${piece}, split size ${size}`).toEqual(reference);
      }
    } finally {
      setPieceForTests(undefined);
    }
  });

  it('a target that returns promises (an async map) gets each line after the last one settled: the same lines and offsets', async () => {
    // ASCII and UTF-8 pieces, lines across the 1 MiB read chunks (the carried line too), CRLF
    const lines = Array.from({ length: 40_000 }, (_, i) => `${i} ${i % 7 === 0 ? 'Zürich' : 'x'.repeat(i % 37)} ${'z'.repeat(i % 101)}`);
    const text = lines.join('\r\n') + '\r\n';
    const path = file(text);
    const bytes = Buffer.byteLength(text);
    const reference: [string, number][] = [];
    for (let start = 0; start < bytes; start += 777_777) reference.push(...(await readBoth({ path, start, length: Math.min(777_777, bytes - start) })));
    expect(reference.map(([l]) => l)).toEqual(lines);
    /** Every `every`th line returns a promise that settles a turn later; a line handed over meanwhile is an error. */
    const readAsync = async (size: number, every: number, asBytes: boolean) => {
      const seen: [string, number][] = [];
      let pending = false;
      let n = 0;
      const take = (line: string, off: number): Promise<void> | undefined => {
        if (pending) throw new Error(`line at ${off} handed over before the last one's promise settled`);
        seen.push([line, off]);
        if (++n % every !== 0) return undefined;
        pending = true;
        return new Promise((resolve) => setImmediate(() => {
          pending = false;
          resolve();
        }));
      };
      for (let start = 0; start < bytes; start += size) {
        const split = { path, start, length: Math.min(size, bytes - start) };
        // the bytes are read after the wait: they stay valid until the promise settles
        if (asBytes) await readSplitLineBytes(split, { onBytes: (buf, s, e, off) => take(buf.toString('utf8', s, e), off) });
        else await readSplitLines(split, { onLine: take });
      }
      return seen;
    };
    try {
      for (const piece of [undefined, 64]) {
        setPieceForTests(piece);
        for (const [size, every] of [[bytes, 1], [777_777, 3], [bytes, 1000]] as const) {
          expect(await readAsync(size, every, false), `lines, piece ${piece}, split ${size}, every ${every}`).toEqual(reference);
          expect(await readAsync(size, every, true), `bytes, piece ${piece}, split ${size}, every ${every}`).toEqual(reference);
        }
      }
    } finally {
      setPieceForTests(undefined);
    }
  });

  it('reports the byte offset where each line starts', async () => {
    const path = file('ab\ncd\nef\n');
    expect(await readBoth({ path, start: 2, length: 5 })).toEqual([['cd', 3], ['ef', 6]]);
    expect(await readBoth({ path, start: 2, length: 5, offsetBase: 100 })).toEqual([['cd', 103], ['ef', 106]]);
  });

  it('a .gz file is read whole and decompressed', async () => {
    const text = 'first\nsecond\nthird';
    const path = file(gzipSync(text), '.gz');
    const lines: string[] = [];
    const stats = await readSplitLines({ path, start: 0, length: 1 }, { onLine: (l) => void lines.push(l) });
    expect(lines).toEqual(['first', 'second', 'third']);
    expect(stats.lines).toBe(3);
    expect((await readBoth({ path, start: 0, length: 1 })).map(([l]) => l)).toEqual(lines);
  });
  it('readFirstLine: the first line without its break, from plain and .gz files; undefined when empty or past the limit', async () => {
    expect(await readFirstLine(file('h1 h2\r\nrest\n'))).toBe('h1 h2');
    expect(await readFirstLine(file('Zürich\n'))).toBe('Zürich');
    expect(await readFirstLine(file('only line, no break'))).toBe('only line, no break');
    expect(await readFirstLine(file('\nsecond\n'))).toBe('');
    expect(await readFirstLine(file(''))).toBeUndefined();
    expect(await readFirstLine(file(gzipSync('version srcaddr\n1 2\n'), '.gz'))).toBe('version srcaddr');
    const long = 'x'.repeat(MAX_FIRST_LINE_BYTES + 10);
    expect(await readFirstLine(file(`${long}\nnext\n`))).toBeUndefined();
    expect(await readFirstLine(file(`${'y'.repeat(200_000)}\nnext\n`))).toBe('y'.repeat(200_000)); // across read chunks
  });

  it('a file shorter than its planned split (truncated after planning) fails naming the file, not a smaller count', async () => {
    const p = file('aaaa\nbbbb\ncccc\n');
    const uri = 's3://bucket/key.txt';
    for (const read of [readSplitLines, readSplitLineBytes] as const) {
      // planned as 30 bytes from 0, then from 10 to 40: the file holds 15
      await expect(read({ path: p, start: 0, length: 30, uri }, { onLine() {}, onBytes() {} })).rejects.toThrow(/input s3:\/\/bucket\/key\.txt changed while the job ran: it ends at byte 15, before the planned split end 30/);
      await expect(read({ path: p, start: 10, length: 30 }, { onLine() {}, onBytes() {} })).rejects.toMatchObject({ code: 'MR_ERR_INPUT_CHANGED' });
    }
    // exactly the planned size, or grown since: read as planned
    expect(await readSplitLines({ path: p, start: 0, length: 15 }, { onLine() {} })).toEqual({ bytes: 15, lines: 3 });
    expect(await readSplitLines({ path: p, start: 0, length: 12 }, { onLine() {} })).toEqual({ bytes: 12, lines: 3 });
  });

  it('a truncated or non-gzip .gz file is an error naming the file', async () => {
    const whole = gzipSync(Buffer.from('line one\nline two\n'.repeat(1000)));
    const truncated = file(whole.subarray(0, whole.length - 40), '.gz');
    await expect(readSplitLines({ path: truncated, start: 0, length: whole.length - 40 }, { onLine() {} }))
      .rejects.toThrow(new RegExp(`input ${truncated} is not a valid gzip file \\(unexpected end of file`));
    const notGzip = file('plain text, not gzip\n', '.gz');
    await expect(readSplitLineBytes({ path: notGzip, start: 0, length: 21 }, { onBytes() {} }))
      .rejects.toMatchObject({ code: 'MR_ERR_INPUT_UNREADABLE', message: expect.stringContaining(`input ${notGzip} is not a valid gzip file (incorrect header check`) });
  });
});
