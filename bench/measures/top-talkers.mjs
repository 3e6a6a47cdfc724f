// Top talkers over about 200 MB of generated v2 flow logs: `mr run flowlogs --param
// preset=top-talkers` (2 threads) against DuckDB running the same query with 2 threads
// (bench/baselines/duckdb-top-talkers.mjs). The 10 result lines must be equal, in order.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, DATA, diffLines, listFiles, median, mr, nodeJson, OUT, prepared, ROOT, splitLines } from '../lib.mjs';
import { CLUSTER } from './wordcount.mjs';

const BASELINE = join(ROOT, 'bench/baselines/duckdb-top-talkers.mjs');
const GEN = ['--files', '8', '--lines-per-file', '220000', '--seed', '1'];

export default {
  name: 'top-talkers',
  title: 'flowlogs top-talkers 200 MB',
  target: 'ratio <= 3 (DuckDB)',
  async run({ runs }) {
    const dir = join(DATA, 'flowlogs');
    const bytes = await prepared(dir, { gen: GEN }, async () => {
      rmSync(dir, { recursive: true, force: true });
      await mr(['gen', 'flowlogs', '--output', dir, ...GEN]);
    });
    const out = join(OUT, 'top-talkers');
    mkdirSync(OUT, { recursive: true });
    let duck;
    const engine = async () => {
      const r = await mr(['run', 'flowlogs', '--input', dir, '--output', out, '--param', 'preset=top-talkers', '--reducers', '2', ...CLUSTER, '--overwrite', '--json']);
      return { ms: r.status.elapsedMs, wallMs: r.wallMs };
    };
    const baseline = async () => (duck = await nodeJson(BASELINE, [dir]));
    const r = await alternate(runs, engine, baseline);
    const got = splitLines(readFileSync(join(out, 'part-00000'), 'utf8'));
    const check = diffLines('mr part-00000 vs DuckDB', got, duck.lines) ?? (got.length === 10 ? undefined : `${got.length} lines, not 10`);
    const e = median(r.engine.map((x) => x.ms));
    const b = median(r.baseline.map((x) => x.ms));
    return {
      input: { bytes, files: listFiles(dir).length },
      engine: { runs: r.engine.map((x) => x.ms), median: e, wallRuns: r.engine.map((x) => x.wallMs), wallMedian: median(r.engine.map((x) => x.wallMs)) },
      baseline: { name: 'DuckDB, 2 threads', runs: r.baseline.map((x) => x.ms), median: b },
      ratio: e / b,
      met: e <= 3 * b,
      check,
    };
  },
};
