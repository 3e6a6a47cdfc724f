import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  checkChunk, createServer, fromServiceError, listen, masterClient, MrError, requireToken, wire, type Logger,
} from '@mr/shared';
import { Executor } from './control/executor.js';
import { MasterSession } from './control/session.js';
import { AttemptPool } from './exec/pool.js';
import { ShuffleClients } from './shuffle/client.js';
import { shuffleService } from './shuffle/service.js';
import { ShuffleStore } from './shuffle/store.js';

export interface WorkerConfig {
  master: string;
  role: 'core' | 'task';
  slots: number;
  /** Core workers keep shuffle data here; task workers only scratch space. Default: a temp dir. */
  dataDir?: string;
  id?: string;
  bind: string;
  advertise?: string;
  port: number;
  token: string;
  log: Logger;
}

export interface RunningWorker {
  id: string;
  address: string;
  /** Resolves when the worker stops for good (close() or a fatal error). */
  done: Promise<void>;
  close(): Promise<void>;
}

/** Node id: --id, else stable per --data (kept in DATA/node-id), else random. */
function nodeIdFor(cfg: WorkerConfig, dataDir: string, persistent: boolean): string {
  if (cfg.id) return cfg.id;
  const file = join(dataDir, 'node-id');
  if (persistent) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      // first start with this --data
    }
  }
  const id = `${cfg.role}-${randomBytes(4).toString('hex')}`;
  if (persistent) writeFileSync(file, id + '\n');
  return id;
}

export async function startWorker(cfg: WorkerConfig): Promise<RunningWorker> {
  const persistent = cfg.dataDir !== undefined;
  const dataDir = cfg.dataDir ?? (await mkdtemp(join(tmpdir(), `mr-${cfg.role}-`)));
  mkdirSync(dataDir, { recursive: true });
  const id = nodeIdFor(cfg, dataDir, persistent);
  const log = cfg.log.child({ nodeId: id, role: cfg.role });
  const store = cfg.role === 'core' ? new ShuffleStore(join(dataDir, 'shuffle')) : undefined;
  const scratchDir = join(dataDir, 'scratch');
  await rm(scratchDir, { recursive: true, force: true }); // leftovers of a previous process

  const server = createServer();
  server.addService(
    wire.ShuffleService,
    requireToken(shuffleService(store, log), cfg.token, (method, peer) => log.warn({ method, peer }, 'rejected call: missing or wrong cluster token')),
  );
  const port = await listen(server, cfg.bind, cfg.port);
  const address = `${cfg.advertise ?? cfg.bind}:${port}`;

  const client = masterClient(cfg.master, cfg.token);
  const shuffle = new ShuffleClients(cfg.token);
  const pool = new AttemptPool(cfg.slots);
  const modulesDir = join(dataDir, 'modules');
  let session: MasterSession;
  const executor = new Executor({
    nodeId: id, pool, shuffle, store, scratchDir, log,
    resolveModule: (hash) => fetchModule(client, modulesDir, hash, cfg.master),
    report: (r) => session.report(r),
  });
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      session.close();
      executor.killAll('worker stopping');
      await pool.close();
      shuffle.close();
      client.close();
      server.forceShutdown();
      if (!persistent) await rm(dataDir, { recursive: true, force: true });
      else await rm(scratchDir, { recursive: true, force: true });
    })());
  session = new MasterSession({
    client, masterAddress: cfg.master, executor, log,
    register: { nodeId: id, role: cfg.role === 'core' ? wire.Role.ROLE_CORE : wire.Role.ROLE_TASK, address, slots: cfg.slots },
    onFatal: (e) => void close().then(() => rejectDone(e), rejectDone),
  });
  session.start();
  log.info({ address, master: cfg.master, slots: cfg.slots, dataDir }, 'worker started');
  return { id, address, done, close: () => close().then(resolveDone) };
}

/** A user job module, by content hash: fetched from the master once, then cached under --data. */
async function fetchModule(client: wire.MasterClient, dir: string, hash: string, master: string): Promise<string> {
  if (!/^[a-f0-9]{64}$/.test(hash)) throw new MrError('MR_ERR_JOB_MODULE', `bad module hash '${hash}'`);
  const file = join(dir, `${hash}.mjs`);
  try {
    await stat(file);
    return file;
  } catch {
    // not cached yet
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const call = client.getModule({ hash });
    await pipeline(
      call,
      async function* (chunks: AsyncIterable<wire.Chunk>) {
        for await (const c of chunks) yield checkChunk(c, `job module ${hash.slice(0, 12)}`);
      },
      createWriteStream(tmp),
    );
    const got = createHash('sha256').update(readFileSync(tmp)).digest('hex');
    if (got !== hash) throw new MrError('MR_ERR_CHECKSUM', `job module ${hash.slice(0, 12)}: content hash mismatch`);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw MrError.is(e) ? e : fromServiceError(e, `master ${master}`);
  }
  return file;
}
