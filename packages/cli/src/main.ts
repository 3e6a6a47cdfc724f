import { CommanderError, type Command } from 'commander';
import { MrError, toMrError } from '@mr/shared/core';
import { processIo, type Io } from './io.js';
import { finishProgram, helpAsFlag, newProgram } from './shell.js';

/**
 * `mr master` and `mr worker` load only their own command, not the job bundler, the block-store
 * copier, progress bars...: a worker process starts with about half the modules (mr run starts
 * several). Everything else gets the whole program.
 */
async function programFor(argv: string[], io: Io): Promise<Command> {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === 'worker' || command === 'master') {
    const daemons = await import('./commands/daemons.js');
    return finishProgram(newProgram().addCommand(command === 'worker' ? daemons.workerCommand() : daemons.masterCommand()), io);
  }
  return (await import('./program.js')).buildProgram(io);
}

/** Runs the CLI; returns the exit code (contract.md: 0 ok, 1 failed, 2 usage). Never throws. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const program = await programFor(argv, io);
    await program.parseAsync(helpAsFlag(program, argv.filter((a) => a !== '--debug')), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      io.err(`mr: ${e.message.replace(/^error: /, '')}`);
      return 2;
    }
    const err = MrError.is(e) ? e : toMrError(e);
    io.err(`mr: ${err.message.split('\n')[0]}`);
    if (debug) {
      io.err(String((e as Error).stack ?? e));
      // what the message put in plain words (grpc-js's details, a system error), for a bug report
      const cause = err.cause as { details?: string; message?: string } | undefined;
      if (cause) io.err(`cause: ${cause.details || cause.message || String(cause)}`);
    }
    return err.exitCode;
  }
}
