import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { UiAuth } from '@mr/master';
import { createLogger, defaultMasterDataDir, MrError, parseSpaceFloor, requireClusterToken, type Logger, type SpaceFloor } from '@mr/shared';
import { checkLifelineDir, watchLifeline } from '../cluster/lifeline.js';
import { addTlsOptions, durationFlag, intFlag, sizeFlag, tlsConfigFrom, type TlsFlags } from '../options.js';

// the master and the worker are imported by their own command only: each process loads one of them
const UI_AUTH_MODES: readonly UiAuth[] = ['open', 'token'];

function daemonLogger(name: string, verbose: boolean | undefined): Logger {
  return createLogger({ name, level: verbose ? 'debug' : 'info' });
}

/**
 * Runs until a signal. SIGINT stops at once. SIGTERM stops at once, or, when `onTerm` is given
 * (a worker: a spot interruption notice), starts a graceful drain; a second SIGTERM stops at once.
 */
function untilSignal(close: () => Promise<void>, log: Logger, done?: Promise<void>, onTerm?: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      close().then(resolve, reject);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => {
      if (!onTerm) return stop('SIGTERM');
      onTerm();
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    done?.then(resolve, reject);
  });
}

export function masterCommand(): Command {
  return addTlsOptions(new Command('master'))
    .description('run the master: scheduler, job state, status page')
    .option('--port <P>', 'gRPC port (0 = any free port)', intFlag('--port', 0, 65_535), 7070)
    .option('--http-port <P>', 'status page port (0 = any free port)', intFlag('--http-port', 0, 65_535), 8088)
    .option('--data <DIR>', 'state directory (cluster token, job modules)', defaultMasterDataDir())
    .option('--bind <HOST>', 'address to listen on', '127.0.0.1')
    .option('--advertise <HOST>', 'address to tell others (default: the bind host, or the hostname when bound to 0.0.0.0)')
    .addOption(new Option('--heartbeat-timeout <DURATION>', 'a worker is DEAD after this long without a heartbeat').argParser(durationFlag('--heartbeat-timeout')).default(5_000, '5s'))
    .addOption(new Option('--heartbeat-interval <DURATION>', 'how often workers send heartbeats').argParser(durationFlag('--heartbeat-interval')).default(1_000, '1s'))
    .addOption(new Option('--block-size <SIZE>', 'default block size of block-store files').argParser(sizeFlag('--block-size')).default(64 * 1024 * 1024, '64m'))
    .addOption(new Option('--replication <N>', 'default replicas per block (capped by live core workers)').argParser(intFlag('--replication', 1, 16)).default(3))
    .addOption(new Option('--ui-auth <MODE>', 'who may read the web UI, /api and /metrics: open (anyone who reaches --http-port) or token (the cluster token, as Basic password or Bearer); kill and drain always need the token').choices(UI_AUTH_MODES).default('open'))
    .option('--verbose', 'debug logs')
    .action(async (o: { port: number; httpPort: number; data: string; bind: string; advertise?: string; heartbeatTimeout: number; heartbeatInterval: number; blockSize: number; replication: number; uiAuth: UiAuth; verbose?: boolean } & TlsFlags) => {
      const tls = tlsConfigFrom(o);
      const log = daemonLogger('master', o.verbose);
      const { startMaster } = await import('@mr/master');
      const m = await startMaster({
        bind: o.bind, ...(o.advertise ? { advertise: o.advertise } : {}), port: o.port, httpPort: o.httpPort, dataDir: o.data,
        blockSize: o.blockSize, replication: o.replication, uiAuth: o.uiAuth,
        heartbeatIntervalMs: o.heartbeatInterval, heartbeatTimeoutMs: o.heartbeatTimeout, tls, log,
      });
      await untilSignal(m.close, log);
    });
}

export function workerCommand(): Command {
  return addTlsOptions(new Command('worker'))
    .description('run a worker: core (runs tasks and stores shuffle data) or task (runs tasks only)')
    .addOption(new Option('--master <HOST:PORT>', 'the master').env('MR_MASTER').makeOptionMandatory())
    .addOption(new Option('--role <ROLE>', 'core or task').choices(['core', 'task']).makeOptionMandatory())
    .addOption(new Option('--slots <N>', 'attempts run at once (threads)').argParser(intFlag('--slots', 1, 256)).default(availableParallelism(), 'the number of CPUs'))
    .option('--data <DIR>', 'data directory (default: a temporary one, removed on exit)')
    .option('--id <NAME>', 'node id (default: generated, stable per --data)')
    .option('--port <P>', 'port of this worker\'s gRPC server (0 = any free port)', intFlag('--port', 0, 65_535), 0)
    .option('--bind <HOST>', 'address to listen on', '127.0.0.1')
    .option('--advertise <HOST>', 'address to tell others (default: the bind host, or the hostname when bound to 0.0.0.0)')
    .addOption(new Option('--drain-timeout <DURATION>', 'on SIGTERM or drain: time to finish running attempts before leaving').argParser(durationFlag('--drain-timeout')).default(110_000, '110s'))
    .addOption(new Option('--reserved-space <SIZE|N%>', 'core workers: free space to keep on --data; below it the worker reports itself full and gets no new blocks or map outputs (default: 5% of the disk, at most 1g; 0 = none)').argParser((v: string) => parseSpaceFloor(v, '--reserved-space')))
    .option('--verbose', 'debug logs')
    // mr run --isolate's own: its workers die with it (cluster/lifeline.ts)
    .addOption(new Option('--lifeline <RUN_DIR>', 'stop when stdin (a pipe from mr run) closes, and remove RUN_DIR').hideHelp())
    .action(async (o: { master: string; role: 'core' | 'task'; slots: number; data?: string; id?: string; port: number; bind: string; advertise?: string; drainTimeout: number; reservedSpace?: SpaceFloor; verbose?: boolean; lifeline?: string } & TlsFlags) => {
      if (o.id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(o.id)) {
        throw new MrError('MR_ERR_USAGE', `--id '${o.id}': use letters, digits, '.', '_' and '-'`);
      }
      if (o.lifeline !== undefined) checkLifelineDir(o.lifeline);
      const tls = tlsConfigFrom(o);
      const log = daemonLogger('worker', o.verbose);
      const { startWorker } = await import('@mr/worker');
      const w = await startWorker({
        master: o.master, role: o.role, slots: o.slots, ...(o.data ? { dataDir: o.data } : {}), ...(o.id ? { id: o.id } : {}),
        bind: o.bind, ...(o.advertise ? { advertise: o.advertise } : {}), port: o.port, token: requireClusterToken(),
        drainTimeoutMs: o.drainTimeout, tls, log, ...(o.reservedSpace ? { reservedSpace: o.reservedSpace } : {}),
      });
      if (o.lifeline !== undefined) watchLifeline(o.lifeline, w.close, log);
      await untilSignal(w.close, log, w.done, w.drain);
    });
}
