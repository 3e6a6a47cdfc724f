import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
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
      const tls = tlsConfigFrom(o);
      // resolve the job and check flags before starting any process
      const req = await submitRequest(job, o);
      await checkLocations(req.inputs, req.output, req.overwrite);
      const workers = Math.max(1, o.core + o.task);
      const slots = o.slots ?? Math.max(1, Math.floor(availableParallelism() / workers));
      const cluster = await startLocalCluster({ core: o.core, task: o.task, slots, verbose: o.verbose === true, tls, isolate: o.isolate === true });
      let keepLogs = false;
      // with --verbose the cluster's logs share stderr: plain phase lines, not bars redrawn over them
      const progress = jobProgressFor(o, o.verbose ? { isTTY: false, write: (t: string) => process.stderr.write(t) } : process.stderr);
      const onSignal = () => {
        progress.stop();
        void cluster.stop(false).finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      try {
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
          // before the cluster stops: a bs:// result is read through it
          if (o.format === 'table') await printResultTable(io, req, cluster.api.address, { token: cluster.token, tls: cluster.tls });
        } catch (e) {
          if (keepLogs && MrError.is(e) && !e.message.includes(cluster.logsDir)) throw new MrError(e.code, `${e.message} (cluster logs: ${cluster.logsDir})`);
          throw e;
        }
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        await cluster.stop(keepLogs);
      }
    });
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
