// End-to-end latency: `mr run wordcount` on one 1 KB file, whole command wall time (processes
// started and stopped), median of 5. The output must equal the baseline's count of that file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, diffLines, median, OUT, outputLines, prepared, splitLines } from '../lib.mjs';
import { countFiles, formatCounts } from '../baselines/wordcount.mjs';
import { BOOKS, mrWordcount } from './wordcount.mjs';

const RUNS = 5;

export default {
  name: 'latency',
  title: 'mr run, one 1 KB file',
  target: 'wall < 1 s',
  runs: RUNS,
  async run() {
    const dir = join(DATA, 'tiny');
    await prepared(dir, { kb: 1 }, () => {
      // the first lines of a book, cut at a line break before 1 KiB
      const text = readFileSync(join(BOOKS, 'pg-metamorphosis.txt')).subarray(0, 1024).toString('latin1');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'tiny.txt'), Buffer.from(text.slice(0, text.lastIndexOf('\n') + 1), 'latin1'));
    });
    const out = join(OUT, 'latency');
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await mrWordcount(dir, out));
    const expected = splitLines(formatCounts(await countFiles([join(dir, 'tiny.txt')]))).sort();
    const wall = median(runs.map((x) => x.wallMs));
    return {
      engine: { runs: runs.map((x) => x.ms), median: median(runs.map((x) => x.ms)), wallRuns: runs.map((x) => x.wallMs), wallMedian: wall },
      met: wall < 1000,
      check: diffLines('mr vs baseline', outputLines(out), expected),
    };
  },
};
