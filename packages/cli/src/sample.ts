/**
 * Input sampling for jobs with `sample` (JobDefinition.sample): about `lines` whole lines from up
 * to SAMPLE_RANGES evenly spaced byte ranges of the input, read by ranged reads from any location.
 *
 * The input's files, back to back, are cut into SAMPLE_RANGES equal byte ranges; from each, the
 * first `lines / SAMPLE_RANGES` lines that start in it are taken (the engine's split rule: a line
 * belongs to the range it starts in, and is read to its end), continuing into the range's next
 * files when one ends first. So a small input is sampled whole and never twice, and a large one
 * costs SAMPLE_RANGES short reads. A `.gz` file cannot be read from the middle: the ranges that
 * start in it take their lines from its beginning.
 */
import { SAMPLE_RANGES } from '@mr/shared';

/** What the sampler reads through (locations.ts, or plain buffers in tests). */
export interface SampleSource {
  /** A file's bytes from `start` to `end`, lazily (the sampler stops reading when it has its lines). */
  range(uri: string, start: number, end: number): AsyncIterable<Buffer>;
  /** A `.gz` file's decompressed bytes from its start, lazily. */
  gunzipped(uri: string): AsyncIterable<Buffer>;
}

/** The sample holds at most this many bytes of lines, whatever their length. */
export const MAX_SAMPLE_BYTES = 64 * 1024 * 1024;

const NL = 10;

/** About `lines` whole lines (without line breaks, a trailing '\r' dropped), in input order. */
export async function sampleLines(files: readonly { uri: string; size: number }[], lines: number, src: SampleSource): Promise<string[]> {
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total === 0 || lines <= 0) return [];
  const k = Math.min(SAMPLE_RANGES, lines);
  const per = Math.ceil(lines / k);
  const starts = Array.from({ length: k + 1 }, (_, i) => Math.floor((i * total) / k));
  const left = Array.from({ length: k }, () => per);
  const out: string[] = [];
  const budget = { bytes: MAX_SAMPLE_BYTES };
  let base = 0;
  for (const f of files) {
    const end = base + f.size;
    for (let r = 0; r < k && budget.bytes > 0; r++) {
      if (f.size === 0 || starts[r + 1]! <= base || starts[r]! >= end) continue;
      if (f.uri.endsWith('.gz')) {
        // every range starting in the file, at once, from its start (its bytes are compressed)
        const n = starts.slice(r, k).filter((s) => s >= base && s < end).length;
        if (n > 0) await takeLines(src.gunzipped(f.uri), 0, Infinity, n * per, out, budget);
        break;
      }
      if (left[r] === 0) continue;
      const from = Math.max(starts[r]!, base) - base;
      const to = Math.min(starts[r + 1]!, end) - base;
      // one byte early: if it is '\n', a line starts exactly at `from`
      const chunks = src.range(f.uri, Math.max(0, from - 1), f.size);
      left[r] = left[r]! - (await takeLines(chunks, from === 0 ? 0 : 1, to - from + (from === 0 ? 0 : 1), left[r]!, out, budget));
    }
    base = end;
  }
  return out;
}

/**
 * Appends to `out` up to `max` lines of a byte stream that start in [start, end) of it, skipping
 * what comes before the first line start at or after `start` (for start > 0, the stream's byte
 * start-1 decides: a line starts after a '\n'). Returns how many it took.
 */
async function takeLines(chunks: AsyncIterable<Buffer>, start: number, end: number, max: number, out: string[], budget: { bytes: number }): Promise<number> {
  let taken = 0;
  let pos = 0; // stream offset of the chunk being read
  let lineStart = start === 0 ? 0 : -1; // -1: looking for the first line start
  let carry: Buffer[] = [];
  let carried = 0;
  const take = (buf: Buffer) => {
    const n = buf.length > 0 && buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length;
    out.push(buf.toString('utf8', 0, n));
    budget.bytes -= buf.length;
    taken++;
  };
  for await (const chunk of chunks) {
    let i = 0;
    if (lineStart < 0) {
      const skipFrom = Math.max(0, start - 1 - pos);
      if (skipFrom >= chunk.length) {
        pos += chunk.length;
        continue;
      }
      const nl = chunk.indexOf(NL, skipFrom);
      if (nl < 0) {
        pos += chunk.length;
        continue;
      }
      i = nl + 1;
      lineStart = pos + i;
    }
    while (i < chunk.length) {
      if (lineStart >= end || taken >= max || budget.bytes <= 0) return taken;
      const nl = chunk.indexOf(NL, i);
      if (nl < 0) {
        carry.push(chunk.subarray(i));
        carried += chunk.length - i;
        if (carried > budget.bytes) return taken; // a line longer than the sample may hold
        break;
      }
      take(carry.length > 0 ? Buffer.concat([...carry, chunk.subarray(i, nl)]) : chunk.subarray(i, nl));
      carry = [];
      carried = 0;
      i = nl + 1;
      lineStart = pos + i;
    }
    pos += chunk.length;
    if (lineStart >= end || taken >= max) return taken;
  }
  // the stream's last line, without a '\n'
  if (carry.length > 0 && lineStart >= 0 && lineStart < end && taken < max) take(Buffer.concat(carry));
  return taken;
}
