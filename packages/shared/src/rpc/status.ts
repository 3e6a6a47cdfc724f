import * as grpc from '@grpc/grpc-js';
import { isErrorCode, MrError, toMrError, type ErrorCode } from '../errors.js';
import { tlsFailure } from './tls.js';

const CODE_KEY = 'x-mr-error-code';

const GRPC_STATUS: Partial<Record<ErrorCode, grpc.status>> = {
  MR_ERR_USAGE: grpc.status.INVALID_ARGUMENT,
  MR_ERR_UNKNOWN_JOB: grpc.status.INVALID_ARGUMENT,
  MR_ERR_BAD_URI: grpc.status.INVALID_ARGUMENT,
  MR_ERR_JOB_MODULE: grpc.status.INVALID_ARGUMENT,
  MR_ERR_INPUT_NOT_FOUND: grpc.status.NOT_FOUND,
  MR_ERR_JOB_NOT_FOUND: grpc.status.NOT_FOUND,
  MR_ERR_NODE_NOT_FOUND: grpc.status.NOT_FOUND,
  MR_ERR_TASK_NOT_FOUND: grpc.status.NOT_FOUND,
  MR_ERR_INPUT_EMPTY: grpc.status.FAILED_PRECONDITION,
  MR_ERR_OUTPUT_EXISTS: grpc.status.ALREADY_EXISTS,
  MR_ERR_NO_CORE_WORKERS: grpc.status.FAILED_PRECONDITION,
  MR_ERR_JOB_ENDED: grpc.status.FAILED_PRECONDITION,
  MR_ERR_UNSUPPORTED: grpc.status.UNIMPLEMENTED,
  MR_ERR_UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  MR_ERR_CHECKSUM: grpc.status.DATA_LOSS,
  MR_ERR_FS_NOT_FOUND: grpc.status.NOT_FOUND,
  MR_ERR_FS_EXISTS: grpc.status.ALREADY_EXISTS,
  MR_ERR_FS_BAD_PATH: grpc.status.INVALID_ARGUMENT,
  MR_ERR_FS_NOT_DIR: grpc.status.FAILED_PRECONDITION,
  MR_ERR_FS_IS_DIR: grpc.status.FAILED_PRECONDITION,
  MR_ERR_FS_NOT_EMPTY: grpc.status.FAILED_PRECONDITION,
  MR_ERR_FS_NO_DATANODES: grpc.status.UNAVAILABLE,
  MR_ERR_FS_BLOCK_LOST: grpc.status.DATA_LOSS,
  MR_ERR_NO_SPACE: grpc.status.RESOURCE_EXHAUSTED,
  MR_ERR_RESOURCE: grpc.status.RESOURCE_EXHAUSTED,
};

/** A coded error as a gRPC error: status code, message, and the MR code in trailing metadata. */
export function toServiceError(e: unknown): Partial<grpc.StatusObject> {
  const err = toMrError(e);
  const metadata = new grpc.Metadata();
  metadata.set(CODE_KEY, err.code);
  return { code: GRPC_STATUS[err.code] ?? grpc.status.INTERNAL, details: err.message, metadata };
}

/**
 * A gRPC client error as a coded error with a one-line message naming what failed. `peer` says who
 * was called ("the master at HOST:PORT"); `tls` (whether this side dialled with TLS, when the caller
 * knows) sharpens the message of a TLS mismatch. grpc-js's own wording ("No connection established.
 * Last error: ... Resolution note:") never reaches the message: it stays on `cause` for --debug.
 */
export function fromServiceError(e: unknown, peer: string, tls?: boolean): MrError {
  const se = e as Partial<grpc.ServiceError>;
  if (typeof se?.code !== 'number') return toMrError(e);
  const code = se.metadata?.get(CODE_KEY)[0];
  if (isErrorCode(code)) return new MrError(code, se.details ?? String(se.message));
  const details = se.details ?? '';
  const fail = (c: ErrorCode, message: string) => new MrError(c, message, { cause: e });
  switch (se.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED: {
      const t = se.code === grpc.status.UNAVAILABLE ? tlsFailure(details, tls) : undefined;
      if (t) return fail(t.code, t.code === 'MR_ERR_TLS' ? `TLS handshake with ${peer} failed: ${t.reason}` : `cannot reach ${peer}: ${t.reason}`);
      return fail('MR_ERR_UNREACHABLE', `cannot reach ${peer} (${connectionFailure(se.code, details)})`);
    }
    case grpc.status.UNIMPLEMENTED:
      return fail('MR_ERR_UNREACHABLE', `cannot reach ${peer} (${notOurService(details)})`);
    case grpc.status.UNAUTHENTICATED:
      return fail('MR_ERR_UNAUTHENTICATED', `${peer} refused the cluster token: ${details}`);
    case grpc.status.CANCELLED:
      return fail('MR_ERR_INTERNAL', `the call to ${peer} was cancelled`);
    default:
      return fail('MR_ERR_INTERNAL', `${peer}: the call failed (gRPC status ${grpc.status[se.code] ?? se.code})`);
  }
}

/** What grpc-js says when no connection was made, or it broke, as a few plain words. */
const CONNECTION_CAUSES: readonly [RegExp, string][] = [
  [/ECONNREFUSED/, 'connection refused'],
  [/ETIMEDOUT/, 'connection timed out'],
  [/Name resolution failed|ENOTFOUND|EAI_AGAIN|EAI_NONAME/, 'host not found'],
  [/EHOSTUNREACH/, 'host unreachable'],
  [/ENETUNREACH/, 'network unreachable'],
  [/ECONNRESET|EPIPE|Connection dropped|Connection closed|GOAWAY/i, 'connection lost'],
  // an HTTP/1 server (the master's --http-port, say) answers grpc-js's HTTP/2 preface with garbage
  [/Protocol error/, 'it does not speak gRPC: an HTTP port?'],
];

/**
 * Why a call got no answer, in the words a user needs (`connection refused`, `host not found`,
 * `timed out: no answer within 10 s`), from a gRPC status and grpc-js's details.
 */
export function connectionFailure(code: grpc.status, details: string): string {
  if (code === grpc.status.DEADLINE_EXCEEDED) {
    const seconds = /Deadline exceeded after (\d+(?:\.\d+)?)s/.exec(details)?.[1];
    const within = seconds === undefined ? '' : ` within ${Math.round(Number(seconds) * 10) / 10} s`;
    // grpc-js names the peer's address once a connection was made
    return /remote_addr=/.test(details) ? `timed out: no answer${within}` : `timed out: no connection${within}`;
  }
  return CONNECTION_CAUSES.find(([pattern]) => pattern.test(details))?.[1] ?? 'connection failed';
}

/** UNIMPLEMENTED without our code: the address answers, but it is not the service that was called. */
function notOurService(details: string): string {
  const http = /Received HTTP status code (\d+)/.exec(details);
  if (http) return `it answered HTTP ${http[1]}, not gRPC: not an mr port`;
  const method = /method \/mr\.v1\.(\w+)\/(\w+)/.exec(details);
  return `it does not serve ${method ? `${method[1]}.${method[2]}` : 'this call'}: the wrong port, or another mr version`;
}
