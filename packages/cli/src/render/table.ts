import { StringDecoder } from 'node:string_decoder';
import { partName } from '@mr/shared';

/** How many lines `--format table` shows of an output that is not a top K. */
export const TABLE_LINES = 20;
/** ...and of a top K (the whole of it, unless K is larger). */
export const MAX_TOP_ROWS = 1000;

const NUMBER = /^-?\d+(\.\d+)?$/;

/** Aligned plain-text table (listings: nodes, status, fs ls): a header row, then rows, left-aligned. */
export function table(header: string[], rows: string[][]): string {
  return layout(header, rows, false);
}

/**
 * A job's result as a table (`--format table`): a header row, a rule, then the rows. Columns whose
 * values are all numbers (or `-`) are right-aligned. Fields past the named ones get `colN`.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = Math.max(headers.length, ...rows.map((r) => r.length));
  return layout(Array.from({ length: width }, (_, i) => headers[i] ?? `col${i + 1}`), rows, true);
}

function layout(names: readonly string[], rows: readonly (readonly string[])[], result: boolean): string {
  const numeric = names.map((_, i) => result && rows.length > 0 && rows.every((r) => r[i] === undefined || r[i] === '-' || NUMBER.test(r[i]!)));
  const widths = names.map((h, i) => Math.max(chars(h), ...rows.map((r) => chars(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    names.map((_, i) => pad(cells[i] ?? '', widths[i]!, numeric[i]!)).join('  ').trimEnd();
  const rule = result ? [widths.map((w) => '-'.repeat(w)).join('  ')] : [];
  return [line(names), ...rule, ...rows.map(line)].join('\n');
}

/** Display width in code points (close enough for log fields; no East Asian width tables). */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - chars(s)));
  return right ? fill + s : s + fill;
}

/**
 * The first `limit` lines of a job's output, part after part, split on TAB; `more` says whether
 * lines were left out. Reads only what it shows.
 */
export async function readOutputRows(
  open: (uri: string) => AsyncIterable<Buffer>,
  output: string,
  numReducers: number,
  limit: number,
): Promise<{ rows: string[][]; more: boolean }> {
  const rows: string[][] = [];
  const base = output.replace(/\/+$/, '');
  for (let p = 0; p < numReducers; p++) {
    let carry = '';
    // a character split across two chunks is decoded whole
    const utf8 = new StringDecoder('utf8');
    for await (const chunk of open(`${base}/${partName(p)}`)) {
      const lines = (carry + utf8.write(chunk)).split('\n');
      carry = lines.pop()!;
      for (const l of lines) {
        if (rows.length === limit) return { rows, more: true };
        rows.push(l.split('\t'));
      }
    }
    carry += utf8.end();
    if (carry !== '') {
      if (rows.length === limit) return { rows, more: true };
      rows.push(carry.split('\t'));
    }
  }
  return { rows, more: false };
}
