import { Command } from 'commander';
import { MasterApi } from '../master-client.js';
import { masterAddress, masterOption } from '../options.js';
import { statusJson } from '../render/status.js';
import type { Io } from '../io.js';

export function jobCommand(io: Io): Command {
  const job = new Command('job')
    .description('act on a job: `job kill JOB_ID`')
    .addOption(masterOption());
  job
    .command('kill')
    .description('stop a running job: attempts are killed, temporary output removed, state KILLED')
    .argument('<JOB_ID>')
    .option('--json', 'print the job\'s status JSON on stdout')
    .action(async (jobId: string, o: { json?: boolean }, cmd: Command) => {
      const api = new MasterApi(masterAddress(cmd.optsWithGlobals<{ master?: string }>().master));
      try {
        const s = await api.killJob(jobId);
        io.out(o.json ? JSON.stringify(statusJson(s)) : `${s.id} ${s.state}`);
      } finally {
        api.close();
      }
    });
  return job;
}
