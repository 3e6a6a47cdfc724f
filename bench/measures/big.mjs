// --big: `mr run wordcount` over about 2 GB (32 files of 20 rounds of the books), with the peak
// RSS (VmHWM) of every process of the run: the `mr run` command, the master, each worker. Target:
// each under 500 MB. No baseline run (it would take minutes); the output is checked against the
// books' own counts times the number of copies of them.
import { join } from 'node:path';
import { diffLines, fmt, listFiles, median, OUT, outputLines } from '../lib.mjs';
import { countFiles } from '../baselines/wordcount.mjs';
import { BOOKS, corpus, mrWordcount } from './wordcount.mjs';

const FILES = 32;
const ROUNDS = 20;
const LIMIT_BYTES = 500e6;

export default {
  name: 'big',
  title: 'word count 2 GB, peak RSS',
  target: 'each process < 500 MB',
  async run({ runs }) {
    const c = await corpus('corpus-2g', FILES, ROUNDS);
    const out = join(OUT, 'big');
    const r = [];
    for (let i = 0; i < runs; i++) r.push(await mrWordcount(c.dir, out, { rss: true }));
    const peaks = {}; // process name -> highest VmHWM over the runs, kB
    for (const { rss } of r) for (const p of rss) peaks[p.name] = Math.max(peaks[p.name] ?? 0, p.hwmKb);
    const copies = FILES * ROUNDS;
    const expected = [...(await countFiles(listFiles(BOOKS)))].map(([w, n]) => `${w}\t${n * copies}`).sort();
    const over = Object.entries(peaks).filter(([, kb]) => kb * 1024 >= LIMIT_BYTES);
    return {
      input: { bytes: c.bytes, files: c.files.length },
      engine: { runs: r.map((x) => x.ms), median: median(r.map((x) => x.ms)), wallRuns: r.map((x) => x.wallMs), wallMedian: median(r.map((x) => x.wallMs)) },
      peakRssKb: peaks,
      met: over.length === 0,
      check: diffLines('mr vs the books x copies', outputLines(out), expected),
      notes: [`peak RSS per process (highest of ${runs} run${runs > 1 ? 's' : ''}): ${Object.entries(peaks).map(([n, kb]) => `${n} ${fmt.mb(kb)}`).join(', ')}`],
    };
  },
};
