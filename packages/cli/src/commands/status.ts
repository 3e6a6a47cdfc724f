import { Command } from 'commander';
import { MasterApi } from '../master-client.js';
import { masterAddress, masterOption } from '../options.js';
import { jobDetails, statusJson } from '../render/status.js';
import { table } from '../render/table.js';
import type { Io } from '../io.js';

export function statusCommand(io: Io): Command {
  return new Command('status')
    .description('show one job (state, times, input, output, params, progress, counters), or list all jobs, newest first')
    .argument('[JOB_ID]', 'the job (default: all jobs)')
    .addOption(masterOption())
    .option('--json', 'print the status JSON on stdout (docs/contract.md; the list: oldest first)')
    .action(async (jobId: string | undefined, o: { master?: string; json?: boolean }) => {
      const api = new MasterApi(masterAddress(o.master));
      try {
        if (jobId) {
          const s = await api.getJob(jobId);
          io.out(o.json ? JSON.stringify(statusJson(s)) : jobDetails(s));
          return;
        }
        const { jobs } = await api.listJobs();
        if (o.json) return io.out(JSON.stringify(jobs.map(statusJson)));
        // the master lists jobs in submission order; people look for the latest, as on the web UI
        io.out(table(
          ['ID', 'JOB', 'STATE', 'MAPS', 'REDUCES', 'ELAPSED', 'ERROR'],
          [...jobs].reverse().map((j) => [j.id, j.name, j.state, `${j.mapsDone}/${j.mapsTotal}`, `${j.reducesDone}/${j.reducesTotal}`, `${(j.elapsedMs / 1000).toFixed(1)}s`, j.error]),
        ));
      } finally {
        api.close();
      }
    });
}
