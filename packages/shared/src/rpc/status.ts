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
 * A gRPC client error as a coded error with a one-line message naming what failed. `tls` (whether
 * this side dialled with TLS, when the caller knows) sharpens the message of a TLS mismatch.
 */
export function fromServiceError(e: unknown, peer: string, tls?: boolean): MrError {
  const se = e as Partial<grpc.ServiceError>;
  if (typeof se?.code !== 'number') return toMrError(e);
  const code = se.metadata?.get(CODE_KEY)[0];
  if (isErrorCode(code)) return new MrError(code, se.details ?? String(se.message));
  switch (se.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED: {
      const t = se.code === grpc.status.UNAVAILABLE ? tlsFailure(se.details ?? '', tls) : undefined;
      if (t) return new MrError(t.code, t.code === 'MR_ERR_TLS' ? `TLS handshake with ${peer} failed: ${t.reason}` : `cannot reach ${peer}: ${t.reason}`);
      return new MrError('MR_ERR_UNREACHABLE', `cannot reach ${peer}: ${se.details || 'connection failed'}`);
    }
    case grpc.status.UNAUTHENTICATED:
      return new MrError('MR_ERR_UNAUTHENTICATED', `${peer} refused the cluster token: ${se.details}`);
    default:
      return new MrError('MR_ERR_INTERNAL', `${peer}: ${se.details || se.message}`);
  }
}
