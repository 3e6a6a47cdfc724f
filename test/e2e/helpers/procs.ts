/**
 * Real processes for end-to-end tests: the built `mr` CLI, bounded waits, and cleanup by PID
 * (every process started here is killed in afterAll, whatever the test did).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const MR_BIN = join(ROOT, 'packages/cli/bin/mr.js');
export const GUTENBERG = join(ROOT, 'data/gutenberg');
export const FLOWLOG_EXAMPLES = join(ROOT, 'data/flowlogs/aws-doc-examples.log');

const started = new Set<ChildProcess>();

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (bounded: SIGKILLed and rejected past `timeoutMs`); never throws on a
 * non-zero exit. A command that cannot be started (not installed) resolves with code 127.
 */
export function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string; /** the command as errors name it */ label?: string }): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const proc = track(spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d) => (stdout += d));
    proc.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${o.label ?? [cmd, ...args].join(' ')} did not finish within ${o.timeoutMs} ms\n${stderr.slice(-4000)}`));
    }, o.timeoutMs);
    proc.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ code: 127, stdout, stderr: `${stderr}${e.message}` });
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Runs `mr ARGS` to completion (bounded); never throws on a non-zero exit. */
export function mr(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<Result> {
  return run(process.execPath, [MR_BIN, ...args], { ...opts, timeoutMs: opts.timeoutMs ?? 120_000, label: `mr ${args.join(' ')}` });
}

/** Has reapAll kill a process a test spawned itself. */
export function track(proc: ChildProcess): ChildProcess {
  started.add(proc);
  proc.on('exit', () => started.delete(proc));
  return proc;
}

/** Starts a long-running `mr` process (master, worker) with its stderr in a log file. */
export function startMr(args: string[], opts: { env?: NodeJS.ProcessEnv; log: string }): ChildProcess {
  const fd = openSync(opts.log, 'a');
  const proc = spawn(process.execPath, [MR_BIN, ...args], { env: { ...process.env, ...opts.env }, cwd: ROOT, stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  return track(proc);
}

export function exited(proc: ChildProcess, timeoutMs = 15_000): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${proc.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

/** Kills every process these helpers started (SIGKILL by PID). For afterAll/afterEach. */
export async function reapAll(): Promise<void> {
  const procs = [...started];
  for (const p of procs) if (p.pid && p.exitCode === null && p.signalCode === null) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(procs.map((p) => exited(p).catch(() => undefined)));
  started.clear();
}

const madeDirs: string[] = [];

/** A fresh directory under the run's TMPDIR, removed when the test file ends. */
export function tempDir(prefix = 'mr-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

// Registered at import, so on the importing test file's root suite: it runs after that file's own
// afterAll hooks. The processes go first (they may still be writing), then the dirs: fault tests
// leave ~2 GB each, and one run's worth would otherwise pile up until the run's TMPDIR goes.
afterAll(async () => {
  await reapAll();
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Polls `probe` until it returns a value other than undefined, or fails after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A port that was free a moment ago (for a master that must come back on the same port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePromise(port));
    });
  });
}
