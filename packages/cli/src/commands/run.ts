import { writeFile } from 'node:fs/promises';
import { availableParallelism, constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { checkLocations } from '@mr/master';
import { MrError } from '@mr/shared';
import { startLocalCluster, type LocalCluster } from '../cluster/local.js';
import { renderLogs } from './logs.js';
import { addTlsOptions, intFlag, tlsConfigFrom, type TlsFlags } from '../options.js';
import { addJobOptions, jobProgressFor, submitRequest, type JobOptions } from './job-options.js';
import { printResultTable, reportFinal } from './submit.js';
import type { Io } from '../io.js';

export function runCommand(io: Io): Command {
  return addTlsOptions(addJobOptions(new Command('run').description('run a job on an embedded cluster on this machine (in this process; --isolate: workers as processes)')))
    .option('--core <N>', 'core workers (run tasks, store shuffle data)', intFlag('--core', 0, 64), 1)
    .option('--task <N>', 'task workers (run tasks only)', intFlag('--task', 0, 64), 1)
    .option('--slots <N>', 'slots per worker (default: CPUs / workers, at least 1)', intFlag('--slots', 1, 256))
    .option('--isolate', 'run the workers as separate processes (a job whose code may take its process down)')
    .option('--verbose', 'show the cluster\'s logs on stderr')
    .action(async (job: string, o: JobOptions & TlsFlags & { core: number; task: number; slots?: number; isolate?: boolean; verbose?: boolean }) => {
      // before anything is read or started: bs:// cannot mean anything here
      refuseBlockStoreLocations(o.input, o.output);
      const tls = tlsConfigFrom(o);
      // resolve the job and check flags before starting any process
      const req = await submitRequest(job, o);
      await checkLocations(req.inputs, req.output, req.overwrite);
      const workers = Math.max(1, o.core + o.task);
      const slots = o.slots ?? Math.max(1, Math.floor(availableParallelism() / workers));
      // with --verbose the cluster's logs share stderr: plain phase lines, not bars redrawn over them
      const progress = jobProgressFor(o, o.verbose ? { isTTY: false, write: (t: string) => process.stderr.write(t) } : process.stderr);
      let cluster: LocalCluster | undefined;
      // from before the cluster starts: a signal at any moment stops it and removes its files
      const offSignals = stopOnSignals(() => {
        progress.stop();
        return cluster?.stop(false);
      });
      let keepLogs = false;
      try {
        cluster = await startLocalCluster({ core: o.core, task: o.task, slots, verbose: o.verbose === true, tls, isolate: o.isolate === true });
        const submitted = await cluster.api.submit(req);
        const final = await cluster.api.waitJob(submitted.id, progress.update);
        progress.stop();
        // a failed job's cluster logs are kept, and the one error line says where
        // what `mr logs` would show, kept with the cluster's logs: the cluster is gone after this
        const attemptsLog = final.state === 'FAILED' ? await saveFailedAttempts(cluster, final.id) : undefined;
        // a failed job's run dir is kept (its logs, unless they went to the terminal, and that file)
        keepLogs = final.state !== 'SUCCEEDED' && (!o.verbose || attemptsLog !== undefined);
        try {
          reportFinal(io, final, o, attemptsLog && `failed attempts: ${attemptsLog}; cluster logs: ${cluster.logsDir}`);
          if (o.format === 'table') await printResultTable(io, req, cluster.api.address, { token: cluster.token, tls: cluster.tls });
        } catch (e) {
          if (keepLogs && MrError.is(e) && !e.message.includes(cluster.logsDir)) throw new MrError(e.code, `${e.message} (cluster logs: ${cluster.logsDir})`);
          throw e;
        }
      } finally {
        progress.stop();
        // a signal while it stops waits for that stop, rather than end the process at once
        try {
          await cluster?.stop(keepLogs);
        } finally {
          offSignals();
        }
      }
    });
}

/** Signals that end `mr run` (Ctrl-C, kill, a closed terminal): each stops the cluster first. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long the cluster gets to stop on a signal; then the process exits anyway (its run dir still goes: run-dir.ts). */
const STOP_ON_SIGNAL_MS = 10_000;

/**
 * Until the returned function is called, a STOP_SIGNALS signal runs `stop`, then exits with 128 +
 * the signal's number, as a shell reports a process it ended; a second signal exits at once.
 */
function stopOnSignals(stop: () => Promise<void> | undefined): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + osConstants.signals[signal];
    if (stopping) process.exit(code);
    stopping = true;
    setTimeout(() => process.exit(code), STOP_ON_SIGNAL_MS).unref();
    void Promise.resolve(stop()).catch(() => undefined).finally(() => process.exit(code));
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  };
}

/**
 * `mr run`'s block store is its embedded cluster's, made empty at start and deleted at exit: a
 * bs:// input could never be found there, and a bs:// output would be thrown away with it (after a
 * SUCCEEDED that says otherwise). Refused, naming the location and what to do instead.
 */
export function refuseBlockStoreLocations(inputs: string[], output: string): void {
  const bs = [...inputs, output].find((uri) => /^bs:\/\//i.test(uri));
  if (bs === undefined) return;
  throw new MrError(
    'MR_ERR_USAGE',
    `${bs}: mr run's embedded cluster has no block store that outlives it; run the job on a standing cluster with mr submit --master HOST:PORT --wait, or use a local or s3:// location`,
  );
}

/** The failed attempts' errors, stacks and output (as `mr logs` prints them) in the run's logs dir. */
async function saveFailedAttempts(cluster: LocalCluster, jobId: string): Promise<string | undefined> {
  try {
    const file = join(cluster.logsDir, 'failed-attempts.log');
    await writeFile(file, renderLogs(await cluster.api.getJobLogs(jobId)) + '\n');
    return file;
  } catch {
    return undefined; // the job's own error still says what failed
  }
}
