import type { Command } from 'commander';
import { masterCommand, workerCommand } from './commands/daemons.js';
import { fsCommand } from './commands/fs/index.js';
import { genCommand } from './commands/gen.js';
import { jobCommand } from './commands/job.js';
import { logsCommand } from './commands/logs.js';
import { nodesCommand } from './commands/nodes.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { validateCommand } from './commands/validate.js';
import type { Io } from './io.js';
import { finishProgram, newProgram } from './shell.js';

/** Every command: what `mr --help` lists and what main() runs, daemons aside. */
export function buildProgram(io: Io): Command {
  return finishProgram(
    newProgram()
      .addCommand(runCommand(io))
      .addCommand(masterCommand())
      .addCommand(workerCommand())
      .addCommand(submitCommand(io))
      .addCommand(statusCommand(io))
      .addCommand(nodesCommand(io))
      .addCommand(fsCommand(io))
      .addCommand(jobCommand(io))
      .addCommand(logsCommand(io))
      .addCommand(genCommand(io))
      .addCommand(validateCommand(io)),
    io,
  );
}
