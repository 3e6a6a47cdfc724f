/**
 * The mr CLI's own parser (commander, as `mr` builds it) on a deployment's command line: the
 * compose services' `command:` and the Kubernetes containers' `args:`. Options only: no action runs.
 */
import { buildProgram } from '../packages/cli/src/program.js';

/** The options `mr ARGV` parses to; throws on an unknown command, an unknown flag or a bad value. */
export function parseMrArgv(argv: string[]): Record<string, unknown> {
  const program = buildProgram({ out: () => {}, err: () => {} });
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (!cmd) throw new Error(`no mr command '${argv[0]}'`);
  let opts: Record<string, unknown> = {};
  cmd.action(() => void (opts = cmd.opts()));
  cmd.parse(argv.slice(1), { from: 'user' });
  return opts;
}
