import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { MrError } from '../errors.js';
import { hasValidToken } from './auth.js';
import { channelOptions } from './clients.js';
import { toServiceError } from './status.js';
import { serverCredentials, type TlsConfig } from './tls.js';

export function createServer(): grpc.Server {
  return new grpc.Server({
    'grpc.max_receive_message_length': channelOptions['grpc.max_receive_message_length'],
    'grpc.max_send_message_length': channelOptions['grpc.max_send_message_length'],
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  });
}

type AnyCall = { metadata: grpc.Metadata; getPeer(): string };

/**
 * Wraps every handler of a service so that a call without the right cluster token is answered
 * UNAUTHENTICATED before the handler runs; `onReject` is told (the master logs why).
 */
export function requireToken<T extends grpc.UntypedServiceImplementation>(
  impl: T,
  token: string,
  onReject: (method: string, peer: string) => void,
): T {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(impl)) {
    out[method] = (call: AnyCall, callback?: grpc.sendUnaryData<unknown>) => {
      if (hasValidToken(call.metadata, token)) return (handler as (c: AnyCall, cb?: unknown) => void)(call, callback);
      onReject(method, call.getPeer());
      const err = { code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong cluster token (MR_CLUSTER_TOKEN)' };
      if (callback) callback(err, null);
      else (call as unknown as NodeJS.EventEmitter).emit('error', err);
    };
  }
  return out as T;
}

/** A unary handler from an async function: its result is the reply, a thrown error a coded gRPC status. */
export function unaryHandler<Req, Res>(fn: (req: Req) => Promise<Res> | Res) {
  return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then((r) => cb(null, r), (e: unknown) => cb(toServiceError(e), null));
  };
}

/**
 * The host others should dial when none was given: the bind host, or this machine's name when bound
 * to every interface (0.0.0.0 cannot be dialled; in docker-compose the hostname resolves).
 */
export function advertisedHost(bind: string, advertise: string | undefined): string {
  if (advertise) return advertise;
  return bind === '0.0.0.0' || bind === '::' || bind === '[::]' ? hostname() : bind;
}

/**
 * Binds to host:port (0 = a free port) and resolves with the port. With `tls`, mutual TLS: clients
 * must present a certificate signed by the cluster CA; plaintext without. A failure is one line
 * naming `flag`, the option that set the port (listenError).
 */
export function listen(server: grpc.Server, host: string, port: number, tls: TlsConfig | undefined, flag = '--port'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(tls), (e, p) => (e ? reject(listenError(e, host, port, flag)) : resolve(p)));
  });
}

/**
 * Why a server could not listen, as one line naming the option to change. grpc-js words it "No
 * address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use ...]",
 * node's http "listen EADDRINUSE: ..."; neither should reach a user as such.
 */
export function listenError(e: unknown, host: string, port: number, flag: string): MrError {
  const text = e instanceof Error ? e.message : String(e);
  const errno = (e as NodeJS.ErrnoException).code ?? /\blisten (E[A-Z]+)\b/.exec(text)?.[1];
  const fail = (message: string) => new MrError('MR_ERR_LISTEN', message, { cause: e });
  if (errno === 'EADDRINUSE') return fail(`port ${port} is in use (${flag})`);
  if (errno === 'EACCES') return fail(`no permission to listen on port ${port} (${flag}: ports below 1024 need privileges)`);
  if (errno === 'EADDRNOTAVAIL') return fail(`cannot listen on ${host}: not an address of this machine (--bind)`);
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(text)) return fail(`cannot listen on ${host}: host not found (--bind)`);
  return fail(`cannot listen on ${host}:${port} (${flag})`);
}
