import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  advertisedHost, BlockStoreClient, checkChunk, createServer, fromServiceError, listen, lockDataDir, masterClient, MrError, requireToken, toMrError, wire, type Logger,
  type SpaceFloor, type TlsConfig,
} from '@mr/shared';
import { HealthImplementation } from 'grpc-health-check';
import { Executor } from './control/executor.js';
import { MasterSession } from './control/session.js';
import { AttemptPool } from './exec/pool.js';
import { BlockStore } from './blockstore/store.js';
import { blocksService } from './blockstore/service.js';
import { copyBlock } from './blockstore/copy.js';
import { shareInProcess, ShuffleClients } from './shuffle/client.js';
import { shuffleService } from './shuffle/service.js';
import { ShuffleStore } from './shuffle/store.js';
import { DiskSpace } from './disk.js';

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
  /** Mutual TLS for this worker's server and every connection it makes (rpc/tls.ts); undefined = plaintext. */
  tls?: TlsConfig | undefined;
  /** After SIGTERM or a drain order: how long running attempts get before the worker exits anyway. */
  drainTimeoutMs: number;
  /** Core workers: free space kept on --data (--reserved-space); below it the worker reports itself full. Default DEFAULT_SPACE_FLOOR. */
  reservedSpace?: SpaceFloor;
  log: Logger;
  /**
   * What user code writes (console.*, process.stdout/stderr) goes to this process's stderr, besides
   * each attempt's kept tail (default: yes, as a daemon's). Never to stdout.
   */
  forwardUserOutput?: boolean;
}

export interface RunningWorker {
  id: string;
  address: string;
  /** Resolves when the worker stops for good (close(), a finished drain, or a fatal error). */
  done: Promise<void>;
  close(): Promise<void>;
  /** Graceful leave (SIGTERM, a spot interruption notice): see design.md and contract.md "Attempts". */
  drain(): void;
}

/**
 * The standard gRPC health service (grpc.health.v1) on the worker's port, for Kubernetes grpc
 * probes and `deploy/healthcheck.mjs`. Service '' is SERVING while the process serves (liveness);
 * READINESS_SERVICE is SERVING only while the worker is registered with the master and not
 * draining: a worker that cannot reach its master, or is leaving, takes no attempts.
 * It needs no cluster token: it tells nothing but these two states.
 */
export const READINESS_SERVICE = 'readiness';

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
  // before anything under it is read or written: a second process on this dir is refused here
  const lock = lockDataDir(dataDir, `worker ${cfg.id ?? `(${cfg.role})`}`);
  let id: string;
  try {
    id = nodeIdFor(cfg, dataDir, persistent);
    lock.describe(`worker ${id}`);
  } catch (e) {
    lock.release();
    throw e;
  }
  const log = cfg.log.child({ nodeId: id, role: cfg.role });
  const disk = cfg.role === 'core' ? new DiskSpace(dataDir, id, cfg.reservedSpace) : undefined;
  const store = cfg.role === 'core' ? new ShuffleStore(join(dataDir, 'shuffle'), disk) : undefined;
  const blocks = cfg.role === 'core' ? new BlockStore(join(dataDir, 'blocks'), disk) : undefined;
  const scratchDir = join(dataDir, 'scratch');
  await rm(scratchDir, { recursive: true, force: true }); // leftovers of a previous process

  const server = createServer();
  server.addService(
    wire.ShuffleService,
    requireToken(shuffleService(store, log), cfg.token, (method, peer) => log.warn({ method, peer }, 'rejected call: missing or wrong cluster token')),
  );
  // `session` is assigned below; a corrupt replica found while serving a read is reported on it
  server.addService(
    wire.BlocksService,
    requireToken(
      blocksService({ store: blocks, nodeId: id, token: cfg.token, tls: cfg.tls, log, onCorrupt: (blockId) => session.sendBlockCorrupt(blockId) }),
      cfg.token,
      (method, peer) => log.warn({ method, peer }, 'rejected call: missing or wrong cluster token'),
    ),
  );
  const health = new HealthImplementation({ '': 'SERVING', [READINESS_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);
  const port = await listen(server, cfg.bind, cfg.port, cfg.tls).catch(async (e: unknown) => {
    if (!persistent) await rm(dataDir, { recursive: true, force: true }); // the temporary dir made above
    throw e;
  });
  const address = `${advertisedHost(cfg.bind, cfg.advertise)}:${port}`;

  const unshare = store ? shareInProcess(address, store) : undefined;
  const client = masterClient(cfg.master, cfg.token, cfg.tls);
  const shuffle = new ShuffleClients(cfg.token, cfg.tls);
  const pool = new AttemptPool(cfg.slots, undefined, (e) => log.warn({ err: e.message }, 'an attempt thread failed between attempts'));
  const modulesDir = join(dataDir, 'modules');
  let session: MasterSession;
  const bs = new BlockStoreClient(client, cfg.token, cfg.tls, cfg.role === 'core' ? id : undefined);
  const executor = new Executor({
    nodeId: id, pool, shuffle, store, scratchDir, log, bs, forwardUserOutput: cfg.forwardUserOutput ?? true,
    resolveModule: (hash) => fetchModule(client, modulesDir, hash, cfg.master),
    report: (r) => session.report(r),
  });
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearTimeout(drainTimer);
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(READINESS_SERVICE, 'NOT_SERVING');
      unshare?.();
      session.close();
      executor.killAll('worker stopping');
      await pool.close();
      shuffle.close();
      bs.close();
      client.close();
      server.forceShutdown();
      if (!persistent) await rm(dataDir, { recursive: true, force: true });
      else await rm(scratchDir, { recursive: true, force: true });
      lock.release();
    })());
  // Drain: take no new attempts, finish the running ones, (core) hand map outputs over; leave
  // when the master releases this worker and nothing runs, or when the drain timeout ends.
  let draining = false;
  let connected = false;
  const updateReadiness = () => health.setStatus(READINESS_SERVICE, connected && !draining ? 'SERVING' : 'NOT_SERVING');
  let released = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const leaveIfDone = () => {
    if (draining && released && executor.runningIds().length === 0) {
      log.info('drained: leaving');
      clearTimeout(drainTimer);
      void close().then(resolveDone, rejectDone);
    }
  };
  const drain = () => {
    if (draining) return;
    draining = true;
    updateReadiness();
    log.info({ running: executor.runningIds().length, timeoutMs: cfg.drainTimeoutMs }, 'draining');
    session.sendDraining();
    drainTimer = setTimeout(() => {
      log.warn({ running: executor.runningIds() }, 'drain timeout: leaving with attempts still running');
      void close().then(resolveDone, rejectDone);
    }, cfg.drainTimeoutMs);
    leaveIfDone();
  };
  executor.onIdle = leaveIfDone;

  session = new MasterSession({
    client, masterAddress: cfg.master, tls: cfg.tls !== undefined, executor, log,
    register: async () => ({
      nodeId: id, role: cfg.role === 'core' ? wire.Role.ROLE_CORE : wire.Role.ROLE_TASK, address, slots: cfg.slots,
      // attempts that finished while the master was away count as running until their queued report lands
      runningAttempts: [...executor.runningIds(), ...session.unreportedAttempts()],
      mapOutputs: store ? await store.list() : [],
      blocks: blocks ? await blocks.report() : [],
      disk: disk?.refresh(),
    }),
    ...(disk ? { disk: () => disk.refresh() } : {}),
    onFatal: (e) => void close().then(() => rejectDone(e), rejectDone),
    onDrain: drain,
    onConnected: (c) => {
      connected = c;
      updateReadiness();
    },
    onRelease: () => {
      released = true;
      leaveIfDone();
    },
    onReplicateBlock: (r) => {
      const target = r.target!;
      const result = { blockId: r.blockId, targetNodeId: target.nodeId };
      void copyBlock(blocks!, r.blockId, target.address, cfg.token, cfg.tls).then(
        () => session.sendBlockReplicated({ ...result, ok: true, error: '' }),
        (e: unknown) => {
          const err = MrError.is(e) ? e : toMrError(e);
          log.warn({ ...result, err: err.message }, 'block copy failed');
          session.sendBlockReplicated({ ...result, ok: false, error: err.message });
          // a corrupt source replica is deleted, then reported (see blockstore/service.ts)
          if (err.code === 'MR_ERR_CHECKSUM') void blocks!.delete([r.blockId]).finally(() => session.sendBlockCorrupt(r.blockId));
        },
      );
    },
    onDeleteBlocks: (d) => {
      void blocks?.delete(d.blockIds).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'block delete failed'));
    },
    onHandOff: (h) => {
      const target = h.target!;
      const result = { jobId: h.jobId, attemptId: h.attemptId, targetNodeId: target.nodeId };
      void (async () => {
        const out = await store!.output(h.jobId, h.attemptId);
        const header = { jobId: h.jobId, mapIndex: 0, attemptId: h.attemptId, partitionBytes: out.partitionBytes };
        await shuffle.push(target.address, header, out.file, new AbortController().signal);
      })().then(
        () => session.sendHandOffResult({ ...result, ok: true, error: '' }),
        (e: unknown) => {
          log.warn({ ...result, err: (e as Error).message }, 'map output hand-off failed');
          session.sendHandOffResult({ ...result, ok: false, error: (e as Error).message });
        },
      );
    },
  });
  session.start();
  log.info({ address, master: cfg.master, slots: cfg.slots, dataDir, tls: cfg.tls !== undefined, ...(disk ? { disk: disk.report() } : {}) }, 'worker started');
  return { id, address, done, drain, close: () => close().then(resolveDone) };
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
