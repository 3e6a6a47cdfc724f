/**
 * docker-compose.yml run for real by test/compose.test.ts: a Docker engine, the compose command,
 * and a compose project of the test's own (its own name, free 127.0.0.1 ports, removed with its
 * volumes at the end), with the host's `mr` CLI pointed at it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort, mr, ROOT, run, type Result } from './e2e/helpers/procs.js';

const ok = async (cmd: string, args: string[]) => (await run(cmd, args, { timeoutMs: 30_000 })).code === 0;

/**
 * The CI-only stand-ins for the images compose pulls (this machine reaches no container registry):
 * they start a Docker daemon if none answers and build local `node:*`, `minio/minio:*` and
 * `minio/mc:*` images under the names the Dockerfile and compose file use. A user's machine pulls the
 * real images instead. MR_COMPOSE_STANDINS names the script where the team's folder lies elsewhere.
 */
const STANDINS = process.env.MR_COMPOSE_STANDINS ?? join(ROOT, '../shared/tools/compose-standins/build.sh');

/** The images the project pulls: the Dockerfile's bases and compose's `image:`s that are not built here. */
export function pulledImages(): string[] {
  const bases = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]!);
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; build?: unknown }> };
  const images = Object.values(compose.services).filter((s) => s.image && !s.build).map((s) => s.image!);
  return [...new Set([...bases, ...images])].sort();
}

export interface DockerSetup {
  /** The compose command: the `docker compose` plugin, else docker-compose (Debian's 1.29). */
  compose?: string[];
  /** Why the compose tests cannot run here (undefined: they can). */
  unavailable?: string;
  /** Whether this set-up started the Docker daemon (then the tests stop it when they end). */
  startedDaemon: boolean;
}

async function composeCommand(): Promise<string[] | undefined> {
  if (await ok('docker', ['compose', 'version'])) return ['docker', 'compose'];
  if (await ok('docker-compose', ['version'])) return ['docker-compose'];
  return undefined;
}

async function missingImages(): Promise<string[]> {
  const missing: string[] = [];
  for (const image of pulledImages()) if (!(await ok('docker', ['image', 'inspect', image]))) missing.push(image);
  return missing;
}

/**
 * A Docker engine, the compose command and the images, or why not. Where no daemon answers or the
 * images are missing, the stand-ins script (when it is there) makes them; a machine with Docker and
 * a registry needs nothing. Never throws: the caller skips, or fails under CI.
 */
export async function prepareDocker(): Promise<DockerSetup> {
  const daemonWasUp = await ok('docker', ['info']);
  const needStandins = !daemonWasUp || !(await composeCommand()) || (await missingImages()).length > 0;
  if (needStandins && existsSync(STANDINS)) {
    const r = await run('bash', [STANDINS, ROOT], { timeoutMs: 10 * 60_000 }).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    if (r.code !== 0) return { unavailable: `the compose stand-ins failed: ${r.stderr.trim().split('\n').at(-1)}`, startedDaemon: false };
  }
  const startedDaemon = !daemonWasUp && (await ok('docker', ['info']));
  if (!(await ok('docker', ['info']))) return { unavailable: 'no Docker daemon answers (docker info failed)', startedDaemon };
  const compose = await composeCommand();
  if (!compose) return { unavailable: 'neither `docker compose` nor docker-compose is installed', startedDaemon };
  return { compose, startedDaemon };
}

/**
 * Stops the daemon this set-up started (by dockerd's pid file), and only when no container is left
 * on it: another run that found it up may be using it.
 */
export async function stopDaemon(): Promise<void> {
  const others = await run('docker', ['ps', '-aq'], { timeoutMs: 30_000 });
  if (others.code !== 0 || others.stdout.trim() !== '') return;
  const pid = Number(readFileSync('/var/run/docker.pid', 'utf8').trim());
  if (!(pid > 0)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
}

/** A compose project of docker-compose.yml under its own name, on free 127.0.0.1 ports. */
export class ComposeProject {
  readonly name = `mr-compose-test-${process.pid}`;
  readonly env: NodeJS.ProcessEnv = {};
  /** The token and S3 settings of cluster.env, as the host's `mr` needs them. */
  readonly clusterEnv: Record<string, string>;

  constructor(private readonly composeCmd: string[]) {
    this.clusterEnv = Object.fromEntries(
      readFileSync(join(ROOT, 'cluster.env'), 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  async choosePorts(): Promise<void> {
    for (const v of ['MR_UI_PORT', 'MR_MASTER_PORT', 'MR_S3_PORT', 'MR_S3_CONSOLE_PORT']) this.env[v] = String(await freePort());
  }

  get master(): string {
    return `127.0.0.1:${this.env.MR_MASTER_PORT}`;
  }

  get ui(): string {
    return `http://127.0.0.1:${this.env.MR_UI_PORT}`;
  }

  /** `docker compose -p NAME ARGS`; never throws on a non-zero exit. */
  compose(args: string[], timeoutMs = 120_000): Promise<Result> {
    const [cmd, ...pre] = this.composeCmd;
    return run(cmd!, [...pre, '-p', this.name, '-f', join(ROOT, 'docker-compose.yml'), ...args], { env: this.env, timeoutMs });
  }

  /** As compose(), failing with its output on a non-zero exit. */
  async composeOk(args: string[], timeoutMs?: number): Promise<Result> {
    const r = await this.compose(args, timeoutMs);
    if (r.code !== 0) throw new Error(`docker compose ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    return r;
  }

  /** The host's `mr` against this cluster: the master's published port, MinIO's published port. */
  mr(args: string[], timeoutMs?: number): Promise<Result> {
    const env = { ...this.clusterEnv, MR_MASTER: this.master, AWS_ENDPOINT_URL: `http://127.0.0.1:${this.env.MR_S3_PORT}` };
    return mr(args, { env, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  /** `mr` inside a service's container (to reach what only the compose network reaches). */
  async exec(service: string, command: string[]): Promise<string> {
    return (await this.composeOk(['exec', '-T', service, ...command])).stdout;
  }

  async api<T>(path: string): Promise<T> {
    const r = await fetch(this.ui + path);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
    return (await r.json()) as T;
  }

  /** Container ids of a service (running or not). */
  async containers(service: string): Promise<string[]> {
    return (await this.composeOk(['ps', '-q', service])).stdout.split('\n').filter((l) => l.trim() !== '');
  }

  async inspect(id: string, format: string): Promise<string> {
    const r = await run('docker', ['inspect', '-f', format, id], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  }
}
