import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export interface LogOptions {
  name: string;
  level?: LevelWithSilent;
  /** Pretty lines for humans; JSON lines otherwise. Defaults to whether stderr is a TTY. */
  pretty?: boolean;
  /** A file to append JSON lines to instead of stderr. */
  file?: string;
}

/**
 * Structured logs to stderr (stdout belongs to command output such as --json): pretty lines on a
 * TTY, JSON lines otherwise (a file, a pipe, docker). Both are written synchronously on this thread
 * (pino-pretty as a stream, not a worker-thread transport), so nothing is lost when the process
 * exits or crashes. Lines about jobs and attempts carry jobId, taskId and attemptId (child loggers).
 */
export function createLogger(opts: LogOptions): Logger {
  const level = opts.level ?? ((process.env.MR_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  if (opts.file !== undefined) return pino({ name: opts.name, level, base: { pid: process.pid } }, pino.destination({ dest: opts.file, sync: true, mkdir: true }));
  if (opts.pretty ?? process.stderr.isTTY === true) {
    // loaded only for a terminal: daemons and pipes write JSON and skip its ~0.1 s of loading
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(
      { name: opts.name, level },
      pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }),
    );
  }
  return pino({ name: opts.name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
