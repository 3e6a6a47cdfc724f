// Sort of 500 MB (5,000,000 records of 100 bytes, `mr gen records`): `mr run sort` (2 threads,
// 4 reducers) against GNU sort (LC_ALL=C, -S 50%, --parallel=2) over the same files. mr's output
// is checked by `mr validate sort`; GNU's by `sort -c`, its line count and its size.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, DATA, listFiles, median, mr, MR_BIN, mustRun, OUT, prepared, run } from '../lib.mjs';
import { CLUSTER } from './wordcount.mjs';

const COUNT = 5_000_000;
const RECORD_BYTES = 100;
const C_LOCALE = { LC_ALL: 'C' };

/** Why the measure cannot run with this build, or undefined. */
async function missing() {
  const help = async (args) => (await run(process.execPath, [MR_BIN, ...args, '--help'])).stdout;
  if (!/^\s+records\b/m.test(await help(['gen']))) return 'mr gen records / sort not available';
  if (!/^\s+validate\b/m.test(await help([]))) return 'mr validate not available';
  return undefined;
}

/** mr's output: `mr validate sort` (keys in order across the parts, exactly the input's records). */
async function checkMr(out, input) {
  const r = await run(process.execPath, [MR_BIN, 'validate', 'sort', out, '--input', input, '--json']);
  let v;
  try {
    v = JSON.parse(r.stdout);
  } catch {
    return `mr validate sort exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`;
  }
  if (r.code !== 0 || !v.ok) return `mr validate sort: ${v.error ?? `exited ${r.code}`}`;
  return v.records === COUNT ? undefined : `mr validate sort: ${v.records} records, not ${COUNT}`;
}

/** GNU sort's output: sorted (bytewise), as many lines and bytes as the input. */
async function checkGnu(out, bytes) {
  const sorted = await run('sort', ['-c', out], { env: C_LOCALE });
  if (sorted.code !== 0) return `GNU sort output not sorted: ${sorted.stderr.trim()}`;
  const lines = Number((await mustRun('wc', ['-l', out])).stdout.trim().split(/\s+/)[0]);
  if (lines !== COUNT) return `GNU sort output holds ${lines} lines, not ${COUNT}`;
  const size = statSync(out).size;
  return size === bytes ? undefined : `GNU sort output holds ${size} bytes, not ${bytes}`;
}

export default {
  name: 'sort',
  title: 'sort 500 MB',
  target: 'ratio <= 2 (GNU sort)',
  async run({ runs }) {
    const why = await missing();
    if (why) return { skipped: why };
    const dir = join(DATA, 'records');
    const bytes = await prepared(dir, { count: COUNT }, async () => {
      rmSync(dir, { recursive: true, force: true });
      await mr(['gen', 'records', '--output', dir, '--count', String(COUNT)]);
    });
    if (bytes !== COUNT * RECORD_BYTES) throw new Error(`${dir} holds ${bytes} bytes, not ${COUNT * RECORD_BYTES}`);
    const files = listFiles(dir);
    const out = join(OUT, 'sort');
    const gnuOut = join(OUT, 'sort-gnu.txt');
    mkdirSync(OUT, { recursive: true });
    const engine = async () => {
      const r = await mr(['run', 'sort', '--input', dir, '--output', out, '--reducers', '4', ...CLUSTER, '--overwrite', '--json']);
      return { ms: r.status.elapsedMs, wallMs: r.wallMs };
    };
    const gnu = async () => {
      const r = await mustRun('sort', ['-S', '50%', '--parallel=2', '-o', gnuOut, ...files], { env: C_LOCALE });
      return { ms: r.wallMs };
    };
    const r = await alternate(runs, engine, gnu);
    const check = (await checkMr(out, dir)) ?? (await checkGnu(gnuOut, bytes));
    rmSync(out, { recursive: true, force: true });
    rmSync(gnuOut, { force: true });
    const e = median(r.engine.map((x) => x.ms));
    const b = median(r.baseline.map((x) => x.ms));
    return {
      input: { bytes, files: files.length, records: COUNT },
      engine: { runs: r.engine.map((x) => x.ms), median: e, wallRuns: r.engine.map((x) => x.wallMs), wallMedian: median(r.engine.map((x) => x.wallMs)) },
      baseline: { name: 'GNU sort, LC_ALL=C, 2 threads', runs: r.baseline.map((x) => x.ms), median: b },
      ratio: e / b,
      met: e <= 2 * b,
      check,
    };
  },
};
