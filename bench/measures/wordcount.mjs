// Word count of about 200 MB: `mr run wordcount` (1 core + 1 task worker, 1 slot each: 2 threads,
// 2 reducers) against a single-thread Node word count (bench/baselines/wordcount.mjs). Both outputs
// must hold the same word<TAB>count lines.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, DATA, diffLines, listFiles, median, mr, nodeJson, OUT, prepared, ROOT, splitLines, outputLines } from '../lib.mjs';

export const BOOKS = join(ROOT, 'data/gutenberg');
const BASELINE = join(ROOT, 'bench/baselines/wordcount.mjs');
/** The embedded cluster every word-count measure uses: 2 threads in all. */
export const CLUSTER = ['--core', '1', '--task', '1', '--slots', '1'];

/**
 * A corpus of `files` files, each the Gutenberg books back to back `rounds` times (a newline after
 * each book, so no word joins two books): 8 x 8 rounds of 3.3 MB is 211 MB.
 */
export async function corpus(name, files, rounds) {
  if (!existsSync(BOOKS)) throw new Error(`the Gutenberg books are not at ${BOOKS}`);
  const books = listFiles(BOOKS).map((f) => {
    const b = readFileSync(f);
    return b.at(-1) === 0x0a ? b : Buffer.concat([b, Buffer.from('\n')]);
  });
  const dir = join(DATA, name);
  const bytes = await prepared(dir, { files, rounds, books: books.map((b) => b.length) }, () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < files; i++) {
      const fd = openSync(join(dir, `books-${String(i).padStart(3, '0')}.txt`), 'w');
      for (let r = 0; r < rounds; r++) for (const b of books) writeSync(fd, b);
      closeSync(fd);
    }
  });
  return { dir, bytes, files: listFiles(dir) };
}

/** `mr run wordcount` once: job elapsed and wall time (and per-process peak RSS with `rss`). */
export async function mrWordcount(input, output, { rss = false } = {}) {
  const r = await mr(['run', 'wordcount', '--input', input, '--output', output, '--reducers', '2', ...CLUSTER, '--overwrite', '--json'], { rss });
  return { ms: r.status.elapsedMs, wallMs: r.wallMs, rss: r.rss };
}

export default {
  name: 'wordcount',
  title: 'word count 200 MB',
  target: 'ratio <= 0.67 (1.5x faster)',
  async run({ runs }) {
    const c = await corpus('corpus-200m', 8, 8);
    const out = join(OUT, 'wordcount');
    const baseOut = join(OUT, 'wordcount-baseline.tsv');
    mkdirSync(OUT, { recursive: true });
    const r = await alternate(runs, () => mrWordcount(c.dir, out), () => nodeJson(BASELINE, [baseOut, ...c.files]));
    const check = diffLines('mr vs baseline', outputLines(out), splitLines(readFileSync(baseOut, 'utf8')).sort());
    const engine = median(r.engine.map((x) => x.ms));
    const baseline = median(r.baseline.map((x) => x.ms));
    return {
      input: { bytes: c.bytes, files: c.files.length },
      engine: { runs: r.engine.map((x) => x.ms), median: engine, wallRuns: r.engine.map((x) => x.wallMs), wallMedian: median(r.engine.map((x) => x.wallMs)) },
      baseline: { name: 'node, 1 thread', runs: r.baseline.map((x) => x.ms), median: baseline },
      ratio: engine / baseline,
      met: engine * 1.5 <= baseline,
      check,
    };
  },
};
