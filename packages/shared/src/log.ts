import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  name: string;
  level?: LevelWithSilent;
  /** Pretty lines for humans; JSON lines otherwise. Defaults to whether stderr is a TTY. */
  pretty?: boolean;
}

/** Structured logs to stderr (stdout belongs to command output such as --json). */
export function createLogger(opts: LogOptions): Logger {
  const level = opts.level ?? ((process.env.MR_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    return pino({
      name: opts.name,
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return pino({ name: opts.name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
