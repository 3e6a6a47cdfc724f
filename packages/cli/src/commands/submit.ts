import { Command } from 'commander';
import { MrError } from '@mr/shared';
import { MasterApi, type ClientCreds } from '../master-client.js';
import { masterAddress, masterOption } from '../options.js';
import { blockStoreSession, readLocation } from '../locations.js';
import { statusJson, summary } from '../render/status.js';
import { formatTable, MAX_TOP_ROWS, readOutputRows, TABLE_LINES } from '../render/table.js';
import { addJobOptions, jobProgressFor, submitRequest, type JobOptions } from './job-options.js';
import type { Io } from '../io.js';

export function submitCommand(io: Io): Command {
  return addJobOptions(new Command('submit').description('submit a job to a running cluster'))
    .addOption(masterOption())
    .option('--wait', 'wait for the job to end (its id goes to stderr at once); exit 1 if it fails')
    .action(async (job: string, o: JobOptions & { master?: string; wait?: boolean }) => {
      const api = new MasterApi(masterAddress(o.master));
      // bs:// inputs of a job that samples its input are read through the cluster
      const bs = blockStoreSession(() => o.master);
      try {
        const req = await submitRequest(job, o, bs).finally(() => bs.close());
        if (o.format === 'table' && !o.wait) throw new MrError('MR_ERR_USAGE', '--format table needs --wait (the table is printed when the job ends)');
        const submitted = await api.submit(req);
        if (!o.wait) {
          io.out(o.json ? JSON.stringify(statusJson(submitted)) : submitted.id);
          return;
        }
        // at once, on stderr (stdout holds the result: the summary, or the one --json document): the
        // id to look the job up or kill it by, even if this wait is interrupted
        io.err(`job ${submitted.id} submitted; waiting for it to end (Ctrl-C stops waiting, not the job)`);
        const progress = jobProgressFor(o);
        // Ctrl-C while waiting: the bars end cleanly; the job keeps running on the cluster
        const onSignal = () => {
          progress.stop();
          io.err(`mr: stopped waiting; job ${submitted.id} keeps running (mr job kill ${submitted.id} stops it)`);
          api.close();
          process.exit(130);
        };
        process.once('SIGINT', onSignal);
        const final = await api.waitJob(submitted.id, progress.update).finally(() => {
          progress.stop();
          process.off('SIGINT', onSignal);
        });
        // the summary names the output as the master wrote it: absolute, whatever the client's directory
        reportFinal(io, final, { ...o, output: req.output }, `mr logs ${o.master ? `--master ${o.master} ` : ''}${final.id} shows its failed attempts`);
        if (o.format === 'table') await printResultTable(io, req, api.address);
      } finally {
        api.close();
      }
    });
}

/**
 * `--format table`: the result under the summary. A gathering job (a top K) is all in part-00000
 * and shown whole (up to MAX_TOP_ROWS); other results show their first TABLE_LINES lines.
 */
export async function printResultTable(
  io: Io, req: { output: string; numReducers: number; gather: boolean; columns: string[] }, master: string, creds?: ClientCreds,
): Promise<void> {
  const limit = req.gather ? MAX_TOP_ROWS : TABLE_LINES;
  const bs = blockStoreSession(() => master, creds);
  try {
    const { rows, more } = await readOutputRows((uri) => readLocation(bs, uri), req.output, req.numReducers, limit);
    io.out('');
    io.out(rows.length === 0 ? '(no result lines)' : formatTable(req.columns, rows));
    if (more) io.out(`(first ${limit} lines; the whole result is in ${req.output})`);
  } finally {
    bs.close();
  }
}

/** Prints the end of a job as run/submit --wait do; throws (exit 1) when it did not succeed. */
export function reportFinal(io: Io, final: import('@mr/shared').wire.JobStatus, o: Pick<JobOptions, 'json' | 'output' | 'skipBadRecords'>, hint?: string): void {
  if (o.json) io.out(JSON.stringify(statusJson(final)));
  else if (final.state === 'SUCCEEDED') io.out(summary(final, o.output, { skipBadRecords: o.skipBadRecords === true }));
  if (final.state !== 'SUCCEEDED') {
    const why = `job ${final.id} ${final.state}${final.error ? `: ${final.error}` : ''}`;
    throw new MrError('MR_ERR_JOB_FAILED', final.state === 'FAILED' && hint ? `${why} (${hint})` : why);
  }
}
