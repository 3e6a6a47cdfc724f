import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MrError, tlsArgs, type TlsConfig } from '@mr/shared';
import { MasterApi, sleep } from '../master-client.js';

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
}

export interface LocalCluster {
  api: MasterApi;
  httpAddress: string;
  runDir: string;
  logsDir: string;
  /** The cluster token made for this run (the CLI's own calls, e.g. reading a bs:// result). */
  token: string;
  tls: TlsConfig | undefined;
  stop(keepLogs: boolean): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * `mr run`'s embedded cluster: one master and N core + M task workers as separate processes on
 * 127.0.0.1 free ports, sharing a fresh cluster token; everything lives in one temporary run dir.
 */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const runDir = await mkdtemp(join(tmpdir(), 'mr-run-'));
  const logsDir = join(runDir, 'logs');
  mkdirSync(logsDir);
  const token = randomBytes(24).toString('base64url');
  const env = { ...process.env, MR_CLUSTER_TOKEN: token };
  const children: { name: string; proc: ChildProcess }[] = [];

  const start = (name: string, args: string[]) => {
    const logFd = o.verbose ? undefined : openSync(join(logsDir, `${name}.log`), 'a');
    const proc = spawn(process.execPath, [MR_BIN, ...args, ...tlsArgs(o.tls), ...(o.verbose ? ['--verbose'] : [])], {
      env,
      stdio: ['ignore', 'ignore', logFd ?? 'inherit'],
    });
    if (logFd !== undefined) closeSync(logFd);
    children.push({ name, proc });
    return proc;
  };

  const stop = async (keepLogs: boolean) => {
    await Promise.all(children.map(({ proc }) => terminate(proc)));
    api?.close();
    if (!keepLogs) await rm(runDir, { recursive: true, force: true });
  };

  let api: MasterApi | undefined;
  try {
    const masterData = join(runDir, 'master');
    // the master's port is picked here so that workers start at the same time (they retry until it listens)
    const address = `127.0.0.1:${await freePort()}`;
    const master = start('master', [
      'master', '--port', address.split(':')[1]!, '--http-port', '0', '--data', masterData,
      ...(o.heartbeatTimeoutMs ? ['--heartbeat-timeout', `${o.heartbeatTimeoutMs}ms`] : []),
    ]);
    const info = { address };
    for (let i = 0; i < o.core; i++) {
      start(`core-${i}`, ['worker', '--master', info.address, '--role', 'core', '--slots', String(o.slots), '--data', join(runDir, `core-${i}`), '--id', `core-${i}`]);
    }
    for (let i = 0; i < o.task; i++) {
      start(`task-${i}`, ['worker', '--master', info.address, '--role', 'task', '--slots', String(o.slots), '--data', join(runDir, `task-${i}`), '--id', `task-${i}`]);
    }
    const { httpAddress } = await waitFor(START_TIMEOUT_MS, () => {
      if (master.exitCode !== null) throw startError('master', logsDir);
      try {
        return JSON.parse(readFileSync(join(masterData, 'master.json'), 'utf8')) as { address: string; httpAddress: string };
      } catch {
        return undefined;
      }
    });
    api = new MasterApi(info.address, { token, tls: o.tls });
    const want = o.core + o.task;
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

/** A port free on 127.0.0.1 a moment ago (the master binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
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
    await sleep(50);
  }
}

/** SIGINT (a stop, not a drain), then SIGKILL after 5 s: a bounded stop. */
async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGINT');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
