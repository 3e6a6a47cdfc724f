import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { MrError } from '../errors.js';

export const TOKEN_METADATA_KEY = 'x-mr-token';
export const TOKEN_FILE = 'cluster-token';

/** The master's data dir when --data is not given; local workers and the CLI find the token there. */
export function defaultMasterDataDir(): string {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep the generic name
  }
  return process.env.MR_HOME ? join(process.env.MR_HOME, 'master') : join(tmpdir(), `mr-${user}`, 'master');
}

/** MR_CLUSTER_TOKEN, else the token in the master's data dir, else undefined. */
export function findClusterToken(masterDataDir = defaultMasterDataDir()): string | undefined {
  const env = process.env.MR_CLUSTER_TOKEN;
  if (env) return env;
  try {
    return readFileSync(join(masterDataDir, TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The master's token: MR_CLUSTER_TOKEN, or the one in its data dir, or a new one written there (mode 600). */
export function loadOrCreateMasterToken(dataDir: string): string {
  const found = findClusterToken(dataDir);
  if (found) return found;
  const token = randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, TOKEN_FILE), token + '\n', { mode: 0o600 });
  return token;
}

export function requireClusterToken(): string {
  const t = findClusterToken();
  if (t) return t;
  throw new MrError(
    'MR_ERR_UNAUTHENTICATED',
    `no cluster token: set MR_CLUSTER_TOKEN (or run on the master's machine, where ${join(defaultMasterDataDir(), TOKEN_FILE)} holds it)`,
  );
}

/** Attaches the cluster token to every call made through a client. */
export function tokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(TOKEN_METADATA_KEY, token);
        next(metadata, listener);
      },
    });
}

/** Constant-time check of a call's token. */
export function hasValidToken(metadata: grpc.Metadata, token: string): boolean {
  const got = metadata.get(TOKEN_METADATA_KEY)[0];
  return typeof got === 'string' && sameToken(got, token);
}

/** Constant-time comparison of a presented token with the cluster's (gRPC metadata, HTTP headers). */
export function sameToken(got: string, token: string): boolean {
  if (got.length !== token.length) return false;
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff |= got.charCodeAt(i) ^ token.charCodeAt(i);
  return diff === 0;
}
