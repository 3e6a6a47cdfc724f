/**
 * The catalogue of coded errors (style.md: one catalogue, codes never reused).
 * Each code has an exit code for the CLI and says whether retrying the same work may succeed.
 * Retired codes stay listed with `retired: true` so that they are never given a new meaning.
 */
export interface ErrorSpec {
  /** CLI exit code: 1 = the job or command failed, 2 = usage error (contract.md). */
  exit: 1 | 2;
  retryable: boolean;
  /** One-line description for docs/errors. */
  doc: string;
  retired?: boolean;
}

export const ERROR_CODES = {
  MR_ERR_USAGE: { exit: 2, retryable: false, doc: 'A flag or argument is missing or malformed.' },
  MR_ERR_UNKNOWN_JOB: { exit: 2, retryable: false, doc: 'JOB is neither a built-in job name nor a path to a module.' },
  MR_ERR_JOB_MODULE: { exit: 1, retryable: false, doc: 'A job module could not be bundled or loaded, or exports no valid job.' },
  MR_ERR_INPUT_NOT_FOUND: { exit: 1, retryable: false, doc: 'An input path does not exist.' },
  MR_ERR_INPUT_EMPTY: { exit: 1, retryable: false, doc: 'The inputs name no readable file.' },
  MR_ERR_OUTPUT_EXISTS: { exit: 1, retryable: false, doc: 'The output already holds part files or _SUCCESS and --overwrite was not given.' },
  MR_ERR_BAD_URI: { exit: 2, retryable: false, doc: "A URI has an unsupported scheme or form, or a bs:// path climbs above the block-store root with '..'." },
  MR_ERR_UNSUPPORTED: { exit: 1, retryable: false, doc: 'The operation is not supported for this location yet.' },
  MR_ERR_NO_CORE_WORKERS: { exit: 1, retryable: true, doc: 'The job needs shuffle storage but no core worker is alive.' },
  MR_ERR_JOB_NOT_FOUND: { exit: 1, retryable: false, doc: 'No job with that id is known to the master.' },
  MR_ERR_NODE_NOT_FOUND: { exit: 1, retryable: false, doc: 'No live node with that id is known to the master.' },
  MR_ERR_TASK_NOT_FOUND: { exit: 1, retryable: false, doc: 'The job has no task with that id (`mr logs --task`).' },
  MR_ERR_JOURNAL: { exit: 1, retryable: false, doc: "The master's journal under --data cannot be read or written." },
  MR_ERR_JOB_FAILED: { exit: 1, retryable: false, doc: 'The job ended in state FAILED.' },
  MR_ERR_JOB_ENDED: { exit: 1, retryable: false, doc: 'The job has already ended (or is committing its output): there is nothing to kill.' },
  MR_ERR_UNAUTHENTICATED: { exit: 1, retryable: false, doc: 'The cluster token is missing or wrong.' },
  MR_ERR_UNREACHABLE: { exit: 1, retryable: true, doc: 'The master or a worker could not be reached.' },
  MR_ERR_LISTEN: { exit: 1, retryable: false, doc: 'A master or worker cannot listen on its --port or --http-port: the port is in use or needs privileges, or --bind is not an address of this machine.' },
  MR_ERR_TLS: { exit: 1, retryable: false, doc: 'A TLS file (--tls-cert, --tls-key, --tls-ca or MR_TLS_*) cannot be read or is not valid PEM, or a TLS handshake failed: a peer without TLS, or a certificate not signed by the cluster CA.' },
  MR_ERR_TIMEOUT: { exit: 1, retryable: true, doc: 'A bounded wait ran out.' },
  MR_ERR_CHECKSUM: { exit: 1, retryable: true, doc: 'Data failed its CRC32C check in transfer or on disk.' },
  MR_ERR_SHUFFLE: { exit: 1, retryable: true, doc: 'Map output could not be stored on or fetched from a core worker.' },
  MR_ERR_USER_CODE: { exit: 1, retryable: true, doc: 'User job code threw.' },
  MR_ERR_ATTEMPT_KILLED: { exit: 1, retryable: true, doc: 'An attempt was killed (worker lost, drained or a faster copy won).' },
  MR_ERR_FS_NOT_FOUND: { exit: 1, retryable: false, doc: 'No block-store file or directory at that path.' },
  MR_ERR_FS_EXISTS: { exit: 1, retryable: false, doc: 'A block-store path is already taken (files are write-once).' },
  MR_ERR_FS_BAD_PATH: { exit: 2, retryable: false, doc: "A block-store path is malformed (relative, '.' or '..' segments, empty segments)." },
  MR_ERR_FS_NOT_DIR: { exit: 1, retryable: false, doc: 'A block-store path goes through a file where a directory is needed.' },
  MR_ERR_FS_IS_DIR: { exit: 1, retryable: false, doc: 'A block-store path is a directory where a file is needed.' },
  MR_ERR_FS_NOT_EMPTY: { exit: 1, retryable: false, doc: 'A block-store directory is not empty (rm needs -r).' },
  MR_ERR_FS_NO_DATANODES: { exit: 1, retryable: true, doc: 'No live core worker can store blocks.' },
  MR_ERR_FS_BLOCK_LOST: { exit: 1, retryable: true, doc: 'Every replica of a block is unreachable or corrupt.' },
  MR_ERR_VALIDATION: { exit: 1, retryable: false, doc: '`mr validate` found the output wrong: out of order, malformed, or not holding its input\'s records.' },
  MR_ERR_OUTPUT_FORBIDDEN: { exit: 1, retryable: false, doc: "A local output leads (through any symlinks) into the master's --data dir, where its journal, token and job modules live." },
  MR_ERR_OUTPUT_OVERLAPS_INPUT: { exit: 2, retryable: false, doc: 'The output is an input, lies inside an input directory or prefix, or contains an input (after following symlinks): a job cannot write where it reads.' },
  MR_ERR_INPUT_CHANGED: { exit: 1, retryable: false, doc: 'An input file is shorter than when the job was planned (truncated or replaced while the job ran): the job fails rather than count less.' },
  MR_ERR_INPUT_UNREADABLE: { exit: 1, retryable: false, doc: 'An input file could not be read or decompressed (a truncated or non-gzip .gz file); the message names the file.' },
  MR_ERR_TASK_MEMORY: { exit: 1, retryable: false, doc: "An attempt's JavaScript heap outgrew `--task-memory` (default: a quarter of the worker machine's memory over its slots); its thread was replaced." },
  MR_ERR_DATA_IN_USE: { exit: 1, retryable: false, doc: "A --data dir is locked by another running master or worker (its in_use.lock names which)." },
  MR_ERR_NO_SPACE: { exit: 1, retryable: true, doc: 'A core worker\'s disk is full, or below its --reserved-space: it takes no new blocks or map outputs until it has room.' },
  MR_ERR_RESOURCE: { exit: 1, retryable: true, doc: 'A process ran out of an operating-system resource other than disk space (file descriptors: EMFILE, ENFILE).' },
  MR_ERR_INTERNAL: { exit: 1, retryable: false, doc: 'A bug: an invariant did not hold.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

const MARK = Symbol.for('mr.MrError');

/**
 * An error with a code from the catalogue. It survives crossing a thread or process boundary as
 * `{ code, message }` (toWire/fromWire), since `instanceof` does not work across realms.
 */
export class MrError extends Error {
  readonly code: ErrorCode;
  readonly [MARK] = true;

  /** For user-code errors: the record it threw on ("offset:N" or "key:K"), for --skip-bad-records. */
  readonly record?: string;

  /** For user-code errors: the stack trace of what user code threw, its own frames only (`mr logs`). */
  readonly userStack?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; record?: string; userStack?: string }) {
    super(message, options);
    this.name = 'MrError';
    this.code = code;
    if (options?.record !== undefined) this.record = options.record;
    if (options?.userStack !== undefined) this.userStack = options.userStack;
  }

  get exitCode(): 1 | 2 {
    return ERROR_CODES[this.code].exit;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  static is(e: unknown): e is MrError {
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[MARK] === true;
  }

  toWire(): WireError {
    return {
      code: this.code, message: this.message,
      ...(this.record !== undefined ? { record: this.record } : {}), ...(this.userStack !== undefined ? { userStack: this.userStack } : {}),
    };
  }

  static fromWire(w: WireError): MrError {
    return new MrError(isErrorCode(w.code) ? w.code : 'MR_ERR_INTERNAL', w.message, {
      ...(w.record !== undefined ? { record: w.record } : {}), ...(w.userStack !== undefined ? { userStack: w.userStack } : {}),
    });
  }
}

export interface WireError {
  code: string;
  message: string;
  record?: string;
  userStack?: string;
}

/** Any thrown value as a coded error; non-MrErrors keep their message under `fallback`. */
export function toMrError(e: unknown, fallback: ErrorCode = 'MR_ERR_INTERNAL'): MrError {
  if (MrError.is(e)) return e;
  if (e instanceof Error) return new MrError(fallback, e.message, { cause: e });
  return new MrError(fallback, String(e));
}

/**
 * What the operating system says when a process runs out of something that is no fault of the
 * data or the job: file descriptors (EMFILE, ENFILE) or disk space (ENOSPC, EDQUOT). Such an error
 * must be named as what it is, not read as "missing" (a failed open looks like one) or as a bug in
 * user code. `what` says what was being done; undefined for any other error.
 */
export function systemResourceError(e: unknown, what: string): MrError | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  switch (code) {
    case 'EMFILE':
      return new MrError('MR_ERR_RESOURCE', `${what}: out of file descriptors (EMFILE: this process has too many open files; its limit is ulimit -n)`, { cause: e });
    case 'ENFILE':
      return new MrError('MR_ERR_RESOURCE', `${what}: out of file descriptors (ENFILE: the system's open file table is full)`, { cause: e });
    case 'ENOSPC':
    case 'EDQUOT':
      return new MrError('MR_ERR_NO_SPACE', `${what}: no space left on device (${code})`, { cause: e });
    default:
      return undefined;
  }
}
