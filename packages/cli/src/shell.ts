import { Command, Help, type Option } from 'commander';
import { MrError } from '@mr/shared/core';
import { environmentHelp } from './environment.js';
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

/**
 * A subcommand's help lists the options of the commands above it (`mr job kill --help` shows the
 * `--master` of `mr job`, which it takes), except those it has itself and --version, which works
 * only before the command.
 */
const HELP: Partial<Help> = {
  showGlobalOptions: true,
  visibleGlobalOptions(this: Help, cmd: Command): Option[] {
    const own = new Set(cmd.options.map((o) => o.long));
    return Help.prototype.visibleGlobalOptions.call(this, cmd).filter((o) => o.long !== '--version' && !own.has(o.long));
  },
};

/** Once every command is added: help to `io`, and errors left to main(), which prints them as one line. */
export function finishProgram(program: Command, io: Io): Command {
  const finish = (cmd: Command, top: string | undefined) => {
    cmd.exitOverride().configureHelp(HELP).configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: () => {},
    });
    const env = environmentHelp(top);
    if (env) cmd.addHelpText('after', env);
    cmd.commands.forEach((sub) => finish(sub, top ?? sub.name()));
  };
  finish(program, undefined);
  return program;
}

/**
 * `mr help fs put` and `mr fs help put` as `mr fs put --help`: commander's help command looks one
 * level down only (`mr help fs put` showed the page of `fs`), and a command with an action of its
 * own (`mr nodes`) has none. Anything else is returned as it is.
 */
export function helpAsFlag(program: Command, argv: string[]): string[] {
  let cmd = program;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      // the value of an option given as `--master HOST:PORT` is no command name
      const option = cmd.options.find((o) => o.long === arg || o.short === arg);
      if (option && (option.required || option.optional)) i++;
      continue;
    }
    if (arg === 'help' && cmd.commands.length > 0) {
      const path = argv.slice(i + 1).filter((a) => !a.startsWith('-'));
      // each name must be a command: `--help` after an unknown one would show its parent's page
      path.reduce((parent, name) => {
        const found = parent.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!found) throw new MrError('MR_ERR_USAGE', `unknown command '${name}'`);
        return found;
      }, cmd);
      return [...argv.slice(0, i), ...path, '--help'];
    }
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) return argv; // an operand: `help` further on is one too (a job id, a path)
    cmd = sub;
  }
  return argv;
}
