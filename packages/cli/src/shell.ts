import { Command } from 'commander';
import type { Io } from './io.js';

/** The `mr` program without its commands: its own options and how it prints. */
export function newProgram(): Command {
  return new Command('mr')
    .description('mr: a distributed MapReduce engine for Node.js')
    .version('0.1.0')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError(false)
    // the program's own options go before the command, so that a command may reuse their names
    // (`mr gen flowlogs --version 5`); --debug is taken out of argv by main(), so it works anywhere
    .enablePositionalOptions();
}

/** Once every command is added: help to `io`, and errors left to main(), which prints them as one line. */
export function finishProgram(program: Command, io: Io): Command {
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: () => {},
    });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  return program;
}
