import { Command, CommanderError } from 'commander';
import { MrError, toMrError } from '@mr/shared';
import { masterCommand, workerCommand } from './commands/daemons.js';
import { fsCommand } from './commands/fs.js';
import { genCommand } from './commands/gen.js';
import { jobCommand } from './commands/job.js';
import { logsCommand } from './commands/logs.js';
import { nodesCommand } from './commands/nodes.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { validateCommand } from './commands/validate.js';
import { processIo, type Io } from './io.js';

export function buildProgram(io: Io): Command {
  const program = new Command('mr')
    .description('mr: a distributed MapReduce engine for Node.js')
    .version('0.1.0')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError(false)
    // the program's own options go before the command, so that a command may reuse their names
    // (`mr gen flowlogs --version 5`); --debug is taken out of argv by main(), so it works anywhere
    .enablePositionalOptions()
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
    .addCommand(validateCommand(io));
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: () => {}, // errors are printed once, by main(), as one line
    });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  return program;
}

/** Runs the CLI; returns the exit code (contract.md: 0 ok, 1 failed, 2 usage). Never throws. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await buildProgram(io).parseAsync(argv.filter((a) => a !== '--debug'), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      io.err(`mr: ${e.message.replace(/^error: /, '')}`);
      return 2;
    }
    const err = MrError.is(e) ? e : toMrError(e);
    io.err(`mr: ${err.message.split('\n')[0]}`);
    if (debug) io.err(String((e as Error).stack ?? e));
    return err.exitCode;
  }
}
