// What every measure shares: paths, running commands (wall time, peak RSS of a process tree),
// medians, checks of generated inputs, and the table.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MR_BIN = join(ROOT, 'packages/cli/bin/mr.js');
/** Generated inputs (gitignored, reused across runs) and outputs of the runs. */
export const DATA = join(ROOT, 'bench/.data');
export const OUT = join(DATA, 'out');
const RSS_SAMPLE_MS = 100;

export function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs a command to its end: `{ code, stdout, stderr, wallMs }`, and with `rss: true` the peak
 * RSS (VmHWM) of it and of every process under it, sampled from /proc while they live.
 */
export function run(cmd, args, { env, rss = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    const peaks = new Map(); // pid -> { name, hwmKb }
    const sample = () => sampleTree(child.pid, peaks);
    const timer = rss ? setInterval(sample, RSS_SAMPLE_MS) : undefined;
    if (rss) sample();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      clearInterval(timer);
      resolvePromise({
        code: code ?? signal, wallMs, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(),
        ...(rss ? { rss: [...peaks.entries()].map(([pid, p]) => ({ pid, ...p })) } : {}),
      });
    });
  });
}

/** Runs a command and fails with its last stderr line unless it exits 0. */
export async function mustRun(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    throw new Error(`${[cmd, ...args].join(' ').replaceAll(ROOT + '/', '')} exited ${r.code}: ${last}`);
  }
  return r;
}

/** `mr ARGS`; with `--json` in ARGS, `status` is the job's final status. */
export async function mr(args, opts) {
  const r = await mustRun(process.execPath, [MR_BIN, ...args], opts);
  if (args.includes('--json')) {
    r.status = JSON.parse(r.stdout);
    if (r.status.state !== 'SUCCEEDED') throw new Error(`mr ${args[0]} ${args[1]}: job ${r.status.state}: ${r.status.error}`);
  }
  return r;
}

/** `node SCRIPT ARGS` that prints one JSON document (a baseline reporting its own time). */
export async function nodeJson(script, args, opts) {
  const r = await mustRun(process.execPath, [script, ...args], opts);
  return { ...JSON.parse(r.stdout), wallMs: r.wallMs };
}

/** Engine and baseline runs alternate (a noisy machine hurts both alike); returns both lists. */
export async function alternate(runs, engine, baseline) {
  const e = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    e.push(await engine(i));
    if (baseline) b.push(await baseline(i));
  }
  return { engine: e, baseline: b };
}

/** VmHWM of `pid` and its descendants, kept per pid at its highest (a process's own peak). */
function sampleTree(pid, peaks) {
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    const status = readProc(`/proc/${p}/status`);
    if (status === undefined) continue;
    const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    // named afresh each time: a child just forked shows its parent's command line until its exec,
    // which starts a new peak
    const seen = peaks.get(p);
    const name = processName(p) ?? seen?.name ?? String(p);
    peaks.set(p, { name, hwmKb: seen?.name === name ? Math.max(kb, seen.hwmKb) : kb });
    for (const task of readDir(`/proc/${p}/task`)) {
      const children = readProc(`/proc/${p}/task/${task}/children`);
      for (const c of children?.trim().split(/\s+/).filter(Boolean) ?? []) stack.push(Number(c));
    }
  }
}

/** `mr run`, `master`, `core-0`, `task-1` (the embedded cluster's processes), else argv[1]; undefined once it exited. */
function processName(pid) {
  const argv = (readProc(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
  if (argv.length === 0) return undefined;
  const id = argv.indexOf('--id');
  if (id >= 0) return argv[id + 1];
  if (argv.includes('master')) return 'master';
  if (argv[1]?.endsWith('mr.js')) return `mr ${argv[2] ?? ''}`.trim();
  return (argv[1] ?? argv[0]).split('/').pop();
}

function readProc(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone
  }
}

function readDir(path) {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Every file under `dir` (recursively) whose name does not start with `_` or `.`, as mr reads a directory. */
export function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('_') && !d.name.startsWith('.'))
    .flatMap((d) => (d.isDirectory() ? listFiles(join(dir, d.name)) : [join(dir, d.name)]))
    .sort();
}

export function totalSize(files) {
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

/**
 * A generated input is reused when its marker (written after it was made) names the same recipe
 * and its files still add up to the size recorded then; otherwise `make()` builds it again.
 */
export async function prepared(dir, recipe, make) {
  const marker = `${dir}.json`;
  if (existsSync(marker) && existsSync(dir)) {
    const m = JSON.parse(readFileSync(marker, 'utf8'));
    if (JSON.stringify(m.recipe) === JSON.stringify(recipe) && totalSize(listFiles(dir)) === m.bytes) return m.bytes;
  }
  log(`preparing ${dir.replace(ROOT + '/', '')} (${JSON.stringify(recipe)})`);
  await make();
  const bytes = totalSize(listFiles(dir));
  writeFileSync(marker, JSON.stringify({ recipe, bytes }) + '\n');
  return bytes;
}

/** The lines of the part files of an mr output, sorted (a multiset to compare). */
export function outputLines(dir) {
  const parts = readdirSync(dir).filter((n) => n.startsWith('part-')).sort();
  return parts.flatMap((p) => splitLines(readFileSync(join(dir, p), 'utf8'))).sort();
}

export function splitLines(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Undefined when equal, else where the sorted line lists first differ. */
export function diffLines(what, a, b) {
  if (a.length !== b.length) return `${what}: ${a.length} lines vs ${b.length}`;
  const i = a.findIndex((line, k) => line !== b[k]);
  return i < 0 ? undefined : `${what}: line ${i + 1} differs: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}`;
}

export const fmt = {
  s: (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`),
  ratio: (r) => (r === undefined ? '-' : `${r.toFixed(2)}x`),
  mb: (kb) => `${Math.round((kb * 1024) / 1e6)} MB`,
  int: (n) => Math.round(n).toLocaleString('en-US'),
};

/** An aligned text table; `rows` are arrays of cells. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
