import { Command, Option } from 'commander';
import { MrError } from '@mr/shared';
import { writeStdout, type Io } from '../../io.js';
import { notFound, readRange, statLocation } from '../../locations.js';
import { intFlag } from '../../options.js';
import { withSession } from './session.js';

/** What `tail` shows without -n: the last kilobyte, as `hdfs dfs -tail`. */
export const TAIL_BYTES = 1024;
/** Bytes per ranged read while looking backwards for line breaks. */
export const TAIL_CHUNK = 64 * 1024;

/**
 * Where the last `lines` lines of a file of `size` bytes start, reading backwards `chunk` bytes at
 * a time through `read(start, end)` (a ranged read): only as much of the file's end as those lines
 * take, plus less than a chunk, is read. A final line break ends the last line; it does not start
 * an empty one.
 */
export async function lastLinesStart(size: number, lines: number, read: (start: number, end: number) => Promise<Buffer>, chunk = TAIL_CHUNK): Promise<number> {
  if (lines === 0) return size;
  let left = lines;
  for (let end = size; end > 0; end -= chunk) {
    const start = Math.max(0, end - chunk);
    const buf = await read(start, end);
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a || start + i === size - 1) continue;
      if (--left === 0) return start + i + 1;
    }
  }
  return 0;
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}

export function tailCommand(_io: Io): Command {
  return new Command('tail')
    .description('print the end of a file (bs://, s3:// or local): its last kilobyte, or its last -n lines, by ranged reads')
    .argument('<URI>')
    .addOption(new Option('-n, --lines <LINES>', 'the last LINES lines (default: the last kilobyte instead)').argParser(intFlag('-n', 0)))
    .action(withSession(async (ctx, uri: string, o: { lines?: number }) => {
      const e = await statLocation(ctx, uri);
      if (!e) throw notFound(uri, 'tail');
      if (e.type === 'dir') throw new MrError('MR_ERR_FS_IS_DIR', `tail: ${uri} is a directory`);
      const start = o.lines === undefined
        ? Math.max(0, e.size - TAIL_BYTES)
        : await lastLinesStart(e.size, o.lines, (s, end) => collect(readRange(ctx, e.uri, s, end)));
      for await (const b of readRange(ctx, e.uri, start, e.size)) {
        if (!(await writeStdout(b))) return;
      }
    }));
}
