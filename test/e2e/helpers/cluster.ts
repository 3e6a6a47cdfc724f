/**
 * A standing cluster of real processes for fault tests: `mr master` and `mr worker`s on 127.0.0.1
 * with free ports, each with its own log; workers can be killed (SIGKILL), drained (SIGTERM) and
 * started again, and the master killed and restarted on the same port and --data.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { exited, mr, readJsonFile, startMr, tempDir, waitFor } from './procs.js';

export interface NodeJson { id: string; role: string; address: string; state: string; slots: number; runningTasks: number; lastHeartbeatMs: number }

export interface WorkerOptions {
  role: 'core' | 'task';
  slots?: number;
  env?: NodeJS.ProcessEnv;
  /** Core workers keep their data across restarts under the cluster dir. */
  args?: string[];
}

export class TestCluster {
  readonly dir = tempDir('mr-faults-');
  readonly env: NodeJS.ProcessEnv = { MR_CLUSTER_TOKEN: `t-${process.pid}-${Date.now()}` };
  master = '';
  masterProc: ChildProcess | undefined;
  readonly workers = new Map<string, ChildProcess>();
  private readonly workerOpts = new Map<string, WorkerOptions>();
  private starts = 0;

  constructor(private readonly masterArgs: string[] = []) {}

  async startMaster(port = 0): Promise<string> {
    const data = join(this.dir, 'master');
    this.masterProc = startMr(['master', '--port', String(port), '--http-port', '0', '--data', data, ...this.masterArgs], { env: this.env, log: join(this.dir, `master.${++this.starts}.log`) });
    const info = await waitFor('master.json', 20_000, () => {
      const i = readJsonFile<{ address: string; pid: number }>(join(data, 'master.json'));
      return i && i.pid === this.masterProc!.pid ? i : undefined;
    });
    this.master = info.address;
    return this.master;
  }

  startWorker(id: string, o: WorkerOptions): ChildProcess {
    this.workerOpts.set(id, o);
    const args = ['worker', '--master', this.master, '--role', o.role, '--id', id, '--slots', String(o.slots ?? 1), ...(o.args ?? [])];
    if (o.role === 'core') args.push('--data', join(this.dir, id));
    const proc = startMr(args, { env: { ...this.env, ...o.env }, log: join(this.dir, `${id}.log`) });
    this.workers.set(id, proc);
    return proc;
  }

  /** SIGKILL, as a lost spot node. */
  async kill(id: string): Promise<void> {
    const p = this.workers.get(id)!;
    p.kill('SIGKILL');
    await exited(p);
  }

  restart(id: string): ChildProcess {
    return this.startWorker(id, this.workerOpts.get(id)!);
  }

  async nodes(): Promise<NodeJson[]> {
    const r = await mr(['nodes', '--master', this.master, '--json'], { env: this.env });
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as NodeJson[];
  }

  async waitAlive(ids: string[], timeoutMs = 20_000): Promise<void> {
    await waitFor(`${ids.join(', ')} ALIVE`, timeoutMs, async () => {
      const alive = new Set((await this.nodes()).filter((n) => n.state === 'ALIVE').map((n) => n.id));
      return ids.every((id) => alive.has(id)) ? true : undefined;
    });
  }

  mr(args: string[], timeoutMs?: number) {
    return mr([...args.slice(0, 1), '--master', this.master, ...args.slice(1)], { env: this.env, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /** `mr submit --json` (no wait): the job id. */
  async submit(args: string[]): Promise<string> {
    const r = await this.mr(['submit', ...args, '--json']);
    if (r.code !== 0) throw new Error(`submit failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { id: string }).id;
  }

  async status(jobId: string): Promise<{ id: string; state: string; error?: string; counters: Record<string, number>; elapsedMs: number }> {
    const r = await this.mr(['status', jobId, '--json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  }

  /** Map/reduce progress from the master's JSON API. */
  async progress(jobId: string): Promise<{ mapsDone: number; mapsTotal: number; reducesDone: number; reducesTotal: number } | undefined> {
    const jobs = await this.api<{ id: string; progress: { mapsDone: number; mapsTotal: number; reducesDone: number; reducesTotal: number } }[]>('/api/jobs');
    return jobs?.find((j) => j.id === jobId)?.progress;
  }

  /** GET from the master's JSON API (`/api/...`); undefined while the master has no master.json. */
  async api<T>(path: string): Promise<T | undefined> {
    const info = readJsonFile<{ httpAddress: string }>(join(this.dir, 'master', 'master.json'));
    if (!info) return undefined;
    return (await (await fetch(`http://${info.httpAddress}${path}`)).json()) as T;
  }

  async waitJob(jobId: string, timeoutMs = 120_000) {
    return waitFor(`job ${jobId} to end`, timeoutMs, async () => {
      const s = await this.status(jobId);
      return ['SUCCEEDED', 'FAILED', 'KILLED'].includes(s.state) ? s : undefined;
    });
  }
}
