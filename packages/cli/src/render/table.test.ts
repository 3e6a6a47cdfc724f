import { describe, expect, it } from 'vitest';
import { formatTable, readOutputRows } from './table.js';

describe('--format table', () => {
  it('aligns columns: numbers to the right, text to the left, with a header and a rule', () => {
    const t = formatTable(['srcaddr', 'dstaddr', 'sum_bytes'], [['10.0.0.1', '10.0.0.200', '123456'], ['172.31.9.69', '-', '7']]);
    expect(t).toBe([
      'srcaddr      dstaddr     sum_bytes',
      '-----------  ----------  ---------',
      '10.0.0.1     10.0.0.200     123456',
      '172.31.9.69  -                   7',
    ].join('\n'));
  });

  it('names columns the job did not name', () => {
    expect(formatTable(['key'], [['a', '1', 'x']]).split('\n')[0]).toBe('key  col2  col3');
  });

  it('reads the first lines of the parts in order and says when it left some out', async () => {
    const parts: Record<string, string> = { '/o/part-00000': 'a\t1\nb\t2\n', '/o/part-00001': '', '/o/part-00002': 'c\t3\nd\t4' };
    const open = async function* (uri: string) {
      yield Buffer.from(parts[uri]!);
    };
    expect(await readOutputRows(open, '/o/', 3, 3)).toEqual({ rows: [['a', '1'], ['b', '2'], ['c', '3']], more: true });
    expect(await readOutputRows(open, '/o', 3, 4)).toEqual({ rows: [['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']], more: false });
  });
});
