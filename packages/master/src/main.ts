import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import {
  advertisedHost, createServer, listen, listenError, loadOrCreateMasterToken, lockDataDir, requireToken, shuffleClient, systemClock, unary, wire, type Clock, type DataDirLock, type Logger,
  type TlsConfig,
} from '@mr/shared';
import { Driver } from './driver/loop.js';
import { Journal } from './journal/journal.js';
import { abortAttempt, abortJob, commitJob, commitTask } from './driver/output.js';
import { abortS3Uploads, commitS3Job } from './driver/s3-output.js';
import type { Registry } from 'prom-client';
import { createUiHandler, type UiAuth } from './http/app.js';
import { jobIdSource } from './job-id.js';
import { jobLogs } from './logs.js';
import { drainNode, killJob } from './operations.js';
import { masterService } from './rpc/service.js';
import { Sessions } from './rpc/sessions.js';
import { blockStoreView, jobDetailView, listFiles, listJobs, listNodeDetails } from './views.js';

export interface MasterConfig {
  bind: string;
  advertise?: string;
  port: number;
  httpPort: number;
  dataDir: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Block store defaults (contract.md: --block-size, --replication on the master). */
  blockSize?: number;
  replication?: number;
  /** Who may read the web UI, its API and /metrics (changes always need the cluster token). */
  uiAuth?: UiAuth;
  log: Logger;
  clock?: Clock;
  /** The cluster token; default MR_CLUSTER_TOKEN, else the one kept in (or made for) --data. */
  token?: string;
  /** Mutual TLS for the gRPC server and the master's own calls to workers (rpc/tls.ts); undefined = plaintext. */
  tls?: TlsConfig | undefined;
}

export interface RunningMaster {
  address: string;
  httpAddress: string;
  close(): Promise<void>;
}

/** What `mr run` and local CLI commands read to find a master started with this data dir. */
export const MASTER_INFO_FILE = 'master.json';

export async function startMaster(cfg: MasterConfig): Promise<RunningMaster> {
  const log = cfg.log;
  const clock = cfg.clock ?? systemClock;
  mkdirSync(cfg.dataDir, { recursive: true });
  // two masters on one --data would interleave their journals
  const lock = lockDataDir(cfg.dataDir, 'master');
  try {
    return await serve(cfg, log, clock, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function serve(cfg: MasterConfig, log: Logger, clock: Clock, lock: DataDirLock): Promise<RunningMaster> {
  const token = cfg.token ?? loadOrCreateMasterToken(cfg.dataDir);
  const sessions = new Sessions();
  const shuffleAddress = (nodeId: string) => driver.state.nodes.get(nodeId)?.address;

  const machineConfig = {
    heartbeatTimeoutMs: cfg.heartbeatTimeoutMs,
    ...(cfg.blockSize ? { defaultBlockSize: cfg.blockSize } : {}),
    ...(cfg.replication ? { defaultReplication: cfg.replication } : {}),
  };
  const { journal, state, replayed, recovered } = Journal.open(join(cfg.dataDir, 'journal'), machineConfig);
  if (recovered) log.info({ jobs: state.jobOrder.length, nodes: state.nodes.size, replayed }, 'recovered state from the journal');
  const driver: Driver = new Driver(
    {
      startAttempt: (a) => void sessions.send(a.nodeId, { msg: { $case: 'assign', value: { spec: toWireSpec(a.spec) } } }),
      killAttempt: (a) => void sessions.send(a.nodeId, { msg: { $case: 'kill', value: { attemptId: a.attemptId, reason: a.reason } } }),
      sendDrain: (a) => void sessions.send(a.nodeId, { msg: { $case: 'drain', value: { timeoutMs: 0 } } }),
      sendGathered: (a) => void sessions.send(a.nodeId, { msg: { $case: 'gathered', value: { attemptId: a.attemptId, rows: a.gathered } } }),
      closeSession: (a) => {
        log.warn({ nodeId: a.nodeId, reason: a.reason }, 'closing worker session');
        sessions.close(a.nodeId);
      },
      handOff: (a) => void sessions.send(a.nodeId, { msg: { $case: 'handOff', value: { jobId: a.jobId, attemptId: a.attemptId, target: a.target } } }),
      release: (a) => void sessions.send(a.nodeId, { msg: { $case: 'release', value: {} } }),
      replicateBlock: (a) => void sessions.send(a.nodeId, { msg: { $case: 'replicateBlock', value: { blockId: a.blockId, target: a.target } } }),
      deleteBlocks: (a) => void sessions.send(a.nodeId, { msg: { $case: 'deleteBlocks', value: { blockIds: a.blockIds } } }),
      commitTask: (a) => commitTask(a.jobId, a.output, a.attemptOutput, a.partition, cfg.dataDir),
      commitJob: (a) => {
        const o = { overwrite: a.overwrite, ...(a.redo ? { redo: true } : {}) };
        return a.output.startsWith('s3://') ? commitS3Job(a.output, a.numReducers, a.uploads ?? [], o) : commitJob(a.jobId, a.output, a.numReducers, { ...o, dataDir: cfg.dataDir });
      },
      abortAttempt: (a) => abortAttempt(a.output),
      abortJob: (a) => (a.output.startsWith('s3://') ? abortS3Uploads(a.uploads ?? []) : abortJob(a.jobId, a.output)),
      abortUpload: (a) => abortS3Uploads([a.upload]),
      dropShuffle: (a) => {
        for (const nodeId of a.nodeIds) {
          const address = shuffleAddress(nodeId);
          if (!address) continue;
          const c = shuffleClient(address, token, cfg.tls);
          unary(c.drop.bind(c), { jobId: a.jobId }, 10_000)
            .catch((e: unknown) => log.warn({ nodeId, jobId: a.jobId, err: (e as Error).message }, 'could not drop shuffle data'))
            .finally(() => c.close());
        }
      },
      jobFinished: (a) => log.info({ jobId: a.jobId, state: a.state, error: a.error }, 'job finished'),
    },
    log,
    state,
    journal,
    clock,
  );
  if (recovered) await driver.dispatch({ kind: 'MasterRecovered', nowMs: clock.nowMs() });

  const newJobId = jobIdSource(clock, state.jobOrder.length);

  const server = createServer();
  server.addService(
    wire.MasterService,
    requireToken(
      masterService({ driver, sessions, modulesDir: join(cfg.dataDir, 'modules'), dataDir: cfg.dataDir, heartbeatIntervalMs: cfg.heartbeatIntervalMs, newJobId, log }),
      token,
      (method, peer) => log.warn({ method, peer }, 'rejected call: missing or wrong cluster token'),
    ),
  );
  const port = await listen(server, cfg.bind, cfg.port, cfg.tls).catch((e: unknown) => {
    journal.close();
    throw e;
  });
  const host = advertisedHost(cfg.bind, cfg.advertise);
  const address = `${host}:${port}`;

  // made at the first scrape: prom-client (and the OpenTelemetry API it loads) take ~60 ms to
  // load, on the way of every `mr run`; the metrics are read off the state when scraped anyway
  let metrics: Promise<Registry> | undefined;
  const registry = () => (metrics ??= import('./http/metrics.js').then((m) => m.createMetrics(() => driver.state)));
  // the HTTP server listens only after the journal is replayed and gRPC listens: from then until close, ready
  let stopping = false;
  const http = createHttpServer(createUiHandler({
    jobs: () => listJobs(driver.state, clock.nowMs()),
    job: (id) => {
      const job = driver.state.jobs.get(id);
      return job && jobDetailView(driver.state, job, clock.nowMs());
    },
    logs: (id, taskId) => (driver.state.jobs.has(id) ? jobLogs(driver.state, id, taskId) : undefined),
    nodes: () => listNodeDetails(driver.state),
    blockStore: () => blockStoreView(driver.state),
    files: (limit) => listFiles(driver.state, limit),
    metrics: async () => {
      const r = await registry();
      return { contentType: r.contentType, body: await r.metrics() };
    },
    killJob: async (id) => {
      const view = await killJob(driver, id, clock.nowMs());
      log.info({ jobId: id }, 'job killed from the web UI');
      return view;
    },
    drainNode: (id) => drainNode(driver, id, clock.nowMs()),
    readiness: () => (stopping ? { ready: false, reason: 'stopping' } : { ready: true }),
  }, { token, auth: cfg.uiAuth ?? 'open', loopbackOnly: isLoopback(cfg.bind) }));
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e) => reject(listenError(e, cfg.bind, cfg.httpPort, '--http-port')));
    http.listen(cfg.httpPort, cfg.bind, () => resolve());
  }).catch((e: unknown) => {
    // the gRPC server already listens: left open, it would keep the process alive after the error
    server.forceShutdown();
    journal.close();
    throw e;
  });
  const httpPort = (http.address() as { port: number }).port;
  const httpAddress = `${host}:${httpPort}`;
  driver.startTicking(Math.max(100, Math.min(500, cfg.heartbeatTimeoutMs / 4)));

  const infoFile = join(cfg.dataDir, MASTER_INFO_FILE);
  writeFileSync(infoFile, JSON.stringify({ pid: process.pid, address, httpAddress }) + '\n');
  log.info({ address, http: `http://${httpAddress}/`, dataDir: cfg.dataDir, tls: cfg.tls !== undefined }, 'master started');

  return {
    address,
    httpAddress,
    close: async () => {
      stopping = true;
      rmSync(infoFile, { force: true });
      await driver.stop();
      journal.close();
      sessions.closeAll();
      server.forceShutdown();
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      lock.release();
    },
  };
}

/** 127.0.0.0/8, ::1 or localhost: only this machine can reach what listens there. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function toWireSpec(s: import('./machine/types.js').AttemptSpec): wire.AttemptSpec {
  return {
    attemptId: s.attemptId,
    jobId: s.jobId,
    taskId: s.taskId,
    kind: s.kind === 'map' ? wire.TaskKind.TASK_KIND_MAP : wire.TaskKind.TASK_KIND_REDUCE,
    attempt: s.attempt,
    job: { builtin: s.job.builtin ?? '', moduleHash: s.job.moduleHash ?? '' },
    paramsJson: JSON.stringify(s.params),
    numReducers: s.numReducers,
    mapIndex: s.mapIndex ?? 0,
    split: s.split ? { ...s.split, hosts: s.split.hosts ?? [] } : undefined,
    shuffleTargets: s.shuffleTargets ?? [],
    sortBufferBytes: s.sortBufferBytes,
    taskMemoryBytes: s.taskMemoryBytes ?? 0,
    partition: s.partition ?? 0,
    mapOutputs: (s.mapOutputs ?? []).map((m) => ({ mapIndex: m.mapIndex, attemptId: m.attemptId, holders: m.holders })),
    outputUri: s.output ?? '',
    attemptOutputUri: s.attemptOutput ?? '',
    skipOffsets: s.skipOffsets ?? [],
    skipKeys: s.skipKeys ?? [],
    gathered: s.gathered ?? [],
    gatherOutput: s.gatherOutput === true,
    gatherPending: s.gatherPending === true,
  };
}
