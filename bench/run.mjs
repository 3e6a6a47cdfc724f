// `npm run bench`: the engine beside real baselines measured in the same run (issue 7).
//   node bench/run.mjs [--runs N] [--only NAME] [--big]
// Prints a table (medians of N runs, engine and baseline runs alternating) and writes
// bench/results.json. Exits 1 when a measure errs or its output check fails (a fast but wrong
// result is a failure); a missed target is only reported.
import { writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, log, ROOT, table } from './lib.mjs';
import wordcount from './measures/wordcount.mjs';
import topTalkers from './measures/top-talkers.mjs';
import sort from './measures/sort.mjs';
import latency from './measures/latency.mjs';
import sched from './measures/sched.mjs';
import big from './measures/big.mjs';

const MEASURES = [wordcount, topTalkers, sort, latency, sched, big];

const { values: o } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, only: { type: 'string' }, big: { type: 'boolean', default: false } },
});
const runs = Number(o.runs);
if (!Number.isInteger(runs) || runs < 1) usage(`--runs must be a whole number >= 1, not '${o.runs}'`);
if (o.only && !MEASURES.some((m) => m.name === o.only)) usage(`unknown measure '${o.only}' (measures: ${MEASURES.map((m) => m.name).join(', ')})`);
const chosen = MEASURES.filter((m) => (o.only ? m.name === o.only : m.name !== 'big' || o.big));

const results = {};
for (const m of chosen) {
  const n = m.runs ?? runs;
  log(`${m.name}: ${m.title} (${n} run${n > 1 ? 's' : ''})`);
  const t0 = performance.now();
  let r;
  try {
    r = await m.run({ runs });
  } catch (e) {
    r = { error: e instanceof Error ? e.message : String(e) };
  }
  r.verdict = verdict(r);
  results[m.name] = { title: m.title, target: m.target, ...r };
  log(`${m.name}: ${r.verdict}${r.check || r.error ? `: ${r.check ?? r.error}` : ''} (${fmt.s(performance.now() - t0)})`);
}

const rows = chosen.map((m) => {
  const r = results[m.name];
  const show = r.unit === '/s' ? (v) => `${fmt.int(v)}/s` : fmt.s;
  const cell = (v) => (v === undefined ? '-' : show(v));
  return [m.title, cell(r.engine?.median), r.engine?.wallMedian === undefined ? '-' : fmt.s(r.engine.wallMedian), cell(r.baseline?.median), fmt.ratio(r.ratio), m.target, r.verdict];
});
console.log(`\n${table(['measure', 'engine', 'wall', 'baseline', 'ratio', 'target', 'verdict'], rows)}`);
for (const m of chosen) for (const note of notes(results[m.name])) console.log(`${m.name}: ${note}`);

const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, os: `${platform()} ${release()}` },
  runs,
  legend: {
    engine: 'median job time (elapsedMs of mr run --json); wall: the whole mr run command, processes started and stopped',
    baseline: "median of the baseline's own time, runs alternating with the engine's",
    ratio: 'engine / baseline (lower is better)',
  },
  measures: results,
};
if (o.only) log('--only: bench/results.json left as it was');
else writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(report, null, 2) + '\n');
process.exit(Object.values(results).some((r) => r.verdict === 'FAILED') ? 1 : 0);

function verdict(r) {
  if (r.error || r.check) return 'FAILED';
  if (r.skipped) return 'skipped';
  return r.met ? 'meets' : 'misses';
}

function notes(r) {
  const out = [];
  if (r.error) out.push(`error: ${r.error}`);
  if (r.check) out.push(`output check: ${r.check}`);
  if (r.skipped) out.push(`skipped: ${r.skipped}`);
  for (const n of r.notes ?? []) out.push(n);
  return out;
}

function usage(msg) {
  console.error(`bench: ${msg}\nusage: node bench/run.mjs [--runs N] [--only NAME] [--big]`);
  process.exit(2);
}
