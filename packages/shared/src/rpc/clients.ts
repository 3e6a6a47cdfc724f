import * as grpc from '@grpc/grpc-js';
import { BlocksClient, MasterClient, ShuffleClient } from '../gen/mr/v1/cluster.js';
import { tokenInterceptor } from './auth.js';
import { channelCredentials, type TlsConfig } from './tls.js';

// grpc-js writes its own diagnostics on stderr ("E No address added out of total 1 resolved"), and
// every failure it logs also reaches us as an error, which says it in one line. Off, unless a user
// debugging the wire asks for them with GRPC_VERBOSITY (or GRPC_NODE_VERBOSITY), as grpc-js documents.
if (process.env.GRPC_VERBOSITY === undefined && process.env.GRPC_NODE_VERBOSITY === undefined) grpc.setLogVerbosity(grpc.logVerbosity.NONE);

/** Big enough for 1 MiB chunks plus framing; submit carries bundled modules. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // a worker started with (or restarted after) its master reconnects within a fraction of a second
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

// Every client carries the cluster token; `tls` (rpc/tls.ts) is required so that no dial site can
// forget it: undefined means plaintext.
export function masterClient(address: string, token: string, tls: TlsConfig | undefined): MasterClient {
  return new MasterClient(address, channelCredentials(tls), { ...channelOptions, interceptors: [tokenInterceptor(token)] });
}

export function shuffleClient(address: string, token: string, tls: TlsConfig | undefined): ShuffleClient {
  return new ShuffleClient(address, channelCredentials(tls), { ...channelOptions, interceptors: [tokenInterceptor(token)] });
}

export function blocksClient(address: string, token: string, tls: TlsConfig | undefined): BlocksClient {
  return new BlocksClient(address, channelCredentials(tls), { ...channelOptions, interceptors: [tokenInterceptor(token)] });
}

/** Unary call as a promise with a deadline. */
export function unary<Req, Res>(
  fn: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown,
  req: Req,
  timeoutMs = 30_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}
