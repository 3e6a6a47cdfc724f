import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMaster, type RunningMaster } from '@mr/master';
import type { RunningWorker } from '@mr/worker';
import { createLogger, MrError, tlsArgs, type TlsConfig } from '@mr/shared';
import { MasterApi, sleep } from '../master-client.js';
import { createRunDir } from './run-dir.js';

export const MR_BIN = fileURLToPath(new URL('../../bin/mr.js', import.meta.url));

export interface LocalClusterOptions {
  core: number;
  task: number;
  slots: number;
  /** Children log to the terminal instead of files under the run dir. */
  verbose: boolean;
  heartbeatTimeoutMs?: number;
  /** `mr run --tls-*` (or MR_TLS_*): every process of the cluster, and the CLI's calls, use it. */
  tls?: TlsConfig | undefined;
  /** Workers as separate processes (`--isolate`), rather than in this process. */
  isolate?: boolean;
}

export interface LocalCluster {
  api: MasterApi;
  httpAddress: string;
  runDir: string;
  logsDir: string;
  /** The cluster token made for this run (the CLI's own calls to its master). */
  token: string;
  tls: TlsConfig | undefined;
  stop(keepLogs: boolean): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * `mr run`'s embedded cluster, as Hadoop's local mode: the master and N core + M task workers in
 * this process (or, with `isolate`, the workers as separate processes) on 127.0.0.1 free ports,
 * sharing a fresh cluster token; everything lives in one temporary run dir, which goes with the
 * run however it ends (run-dir.ts), and so do worker processes (lifeline.ts).
 */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const dir = await createRunDir(tmpdir());
  const runDir = dir.path;
  const logsDir = join(runDir, 'logs');
  mkdirSync(logsDir);
  const token = randomBytes(24).toString('base64url');
  const env = { ...process.env, MR_CLUSTER_TOKEN: token };
  const children: { name: string; proc: ChildProcess }[] = [];
  const inProcess: RunningWorker[] = [];

  /** In-process parts log as their processes would: to stderr with --verbose, else to a file each. */
  const logger = (name: string, file: string) =>
    createLogger(o.verbose ? { name, level: 'debug' } : { name, file: join(logsDir, `${file}.log`) });
  const start = (name: string, args: string[]) => {
    const logFd = o.verbose ? undefined : openSync(join(logsDir, `${name}.log`), 'a');
    // stdin is the child's lifeline: this process holds its only write end, closed when it exits
    const proc = spawn(process.execPath, [MR_BIN, ...args, ...tlsArgs(o.tls), ...(o.verbose ? ['--verbose'] : []), '--lifeline', runDir], {
      env,
      stdio: ['pipe', 'ignore', logFd ?? 'inherit'],
    });
    proc.stdin!.on('error', () => undefined); // a child that died first: nothing is ever written anyway
    if (logFd !== undefined) closeSync(logFd);
    children.push({ name, proc });
    return proc;
  };

  // once: Ctrl-C and the end of the job may both ask, and the in-process master closes only once
  let stopping: Promise<void> | undefined;
  const stop = (keepLogs: boolean) =>
    (stopping ??= (async () => {
      await Promise.all([...children.map(({ proc }) => terminate(proc)), ...inProcess.map((w) => w.close())]);
      api?.close();
      await master?.close();
      await (keepLogs ? dir.keep() : dir.remove());
    })());

  let api: MasterApi | undefined;
  let master: RunningMaster | undefined;
  try {
    // The master runs in this process: it runs no user code, and the CLI has its modules loaded.
    master = await startMaster({
      bind: '127.0.0.1', port: 0, httpPort: 0, dataDir: join(runDir, 'master'), token, tls: o.tls,
      heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? 5_000,
      log: logger('master', 'master'),
    });
    const roles = [
      ...Array.from({ length: o.core }, (_, i) => ({ id: `core-${i}`, role: 'core' as const })),
      ...Array.from({ length: o.task }, (_, i) => ({ id: `task-${i}`, role: 'task' as const })),
    ];
    if (o.isolate) {
      for (const { id, role } of roles) start(id, ['worker', '--master', master.address, '--role', role, '--slots', String(o.slots), '--data', join(runDir, id), '--id', id]);
    }
    const { httpAddress } = master;
    api = new MasterApi(master.address, { token, tls: o.tls });
    const want = o.core + o.task;
    if (!o.isolate) {
      // in this process: user code runs in the workers' task threads either way, and a worker process
      // would cost a Node start and its module loading (most of a small job's wall time)
      const { startWorker } = await import('@mr/worker');
      const started = await Promise.all(roles.map(({ id, role }) => startWorker({
        master: master!.address, role, slots: o.slots, dataDir: join(runDir, id), id, bind: '127.0.0.1', port: 0,
        token, tls: o.tls, drainTimeoutMs: 0, log: logger('worker', id),
        // this process's stderr is the user's terminal: job output shows there only with --verbose
        forwardUserOutput: o.verbose,
      })));
      inProcess.push(...started);
    }
    const masterApi = api;
    let last = 0;
    await waitFor(START_TIMEOUT_MS, async () => {
      for (const c of children) if (c.proc.exitCode !== null) throw startError(c.name, logsDir);
      last = (await masterApi.listNodes()).nodes.filter((n) => n.state === 'ALIVE').length;
      return last >= want ? true : undefined;
    }).catch((e: unknown) => {
      throw MrError.is(e) && e.code === 'MR_ERR_TIMEOUT'
        ? new MrError('MR_ERR_TIMEOUT', `only ${last} of ${want} workers joined within ${START_TIMEOUT_MS / 1000} s (logs: ${logsDir})`)
        : e;
    });
    return { api, httpAddress, runDir, logsDir, token, tls: o.tls, stop };
  } catch (e) {
    await stop(true);
    throw e;
  }
}

function startError(name: string, logsDir: string): MrError {
  let tail = '';
  try {
    const lines = readFileSync(join(logsDir, `${name}.log`), 'utf8').trim().split('\n');
    tail = lines[lines.length - 1] ?? '';
  } catch {
    // no log
  }
  return new MrError('MR_ERR_INTERNAL', `the embedded ${name} exited at start${tail ? `: ${tail.slice(0, 300)}` : ''} (logs: ${logsDir})`);
}

async function waitFor<T>(timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new MrError('MR_ERR_TIMEOUT', `timed out after ${timeoutMs} ms`);
    await sleep(10); // in-process workers register within milliseconds; each look is one local call
  }
}

/** SIGINT (a stop, not a drain), then SIGKILL after 5 s: a bounded stop. */
async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  proc.stdin?.destroy(); // the lifeline of a process that is gone
}
