/**
 * Optional TLS for every gRPC connection (design.md "Wire"), mutual: servers require a client
 * certificate signed by the cluster CA, clients check the server's against the same CA. One
 * TlsConfig, loaded and checked once per process, is threaded next to the cluster token to every
 * place a server listens or a client dials; `undefined` means plaintext (the default). The token
 * stays required on top of TLS.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { MrError, type ErrorCode } from '../errors.js';

/** Paths as given on the command line (`--tls-cert` etc.); an empty string counts as not given. */
export interface TlsFiles {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
}

export interface TlsConfig {
  /** Absolute paths the PEM contents were read from (messages; flags for child processes). */
  readonly files: { readonly cert: string; readonly key: string; readonly ca: string };
  /** This process's certificate (chain), used both as server and as client certificate. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The cluster CA: every peer's certificate must be signed by it. */
  readonly ca: Buffer;
}

const SETTINGS = [
  { name: 'cert', flag: '--tls-cert', env: 'MR_TLS_CERT', what: 'certificate' },
  { name: 'key', flag: '--tls-key', env: 'MR_TLS_KEY', what: 'private key' },
  { name: 'ca', flag: '--tls-ca', env: 'MR_TLS_CA', what: 'CA certificate' },
] as const;

/**
 * The TLS settings of this process: each of cert, key and CA from its flag, else its MR_TLS_*
 * variable (flags win). None given: undefined (plaintext). Some but not all: a usage error. Each
 * file must be readable PEM and the key must belong to the certificate (MR_ERR_TLS otherwise).
 */
export function loadTlsConfig(flags: TlsFiles = {}, env: NodeJS.ProcessEnv = process.env): TlsConfig | undefined {
  const chosen = SETTINGS.map((s) => {
    const flag = flags[s.name] || undefined;
    const file = flag ?? (env[s.env] || undefined);
    return { ...s, file, source: flag ? s.flag : s.env };
  });
  const missing = chosen.filter((c) => c.file === undefined);
  if (missing.length === SETTINGS.length) return undefined;
  if (missing.length > 0) {
    const given = chosen.filter((c) => c.file !== undefined).map((c) => c.source);
    throw new MrError(
      'MR_ERR_USAGE',
      `TLS needs --tls-cert, --tls-key and --tls-ca (or MR_TLS_CERT, MR_TLS_KEY, MR_TLS_CA) together: ${given.join(', ')} given, ` +
        `${missing.map((m) => `${m.flag}/${m.env}`).join(', ')} missing`,
    );
  }
  const [cert, key, ca] = chosen.map((c): Loaded => {
    const path = resolve(c.file!);
    try {
      return { path, pem: readFileSync(path), source: c.source, what: c.what };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const why = READ_ERRORS[code] ?? (code || (e as Error).message);
      throw new MrError('MR_ERR_TLS', `cannot read the TLS ${c.what} ${path} (${c.source}): ${why}`);
    }
  }) as [Loaded, Loaded, Loaded];
  const certificate = parseCert(cert);
  parseCert(ca);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.pem);
  } catch {
    throw new MrError('MR_ERR_TLS', `${key.path} (${key.source}) is not an unencrypted PEM private key`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new MrError('MR_ERR_TLS', `${key.path} (${key.source}) is not the private key of ${cert.path} (${cert.source})`);
  return Object.freeze({ files: Object.freeze({ cert: cert.path, key: key.path, ca: ca.path }), cert: cert.pem, key: key.pem, ca: ca.pem });
}

type Loaded = { path: string; pem: Buffer; source: string; what: string };

const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory' };

function parseCert(c: Loaded): X509Certificate {
  try {
    return new X509Certificate(c.pem);
  } catch {
    throw new MrError('MR_ERR_TLS', `${c.path} (${c.source}) is not a PEM ${c.what}`);
  }
}

let fromEnv: { tls: TlsConfig | undefined } | undefined;

/** MR_TLS_CERT, MR_TLS_KEY and MR_TLS_CA, read once: what CLI client commands use. */
export function tlsFromEnv(): TlsConfig | undefined {
  fromEnv ??= { tls: loadTlsConfig({}) };
  return fromEnv.tls;
}

/** The flags that give a child process (an embedded cluster's master or worker) the same files. */
export function tlsArgs(tls: TlsConfig | undefined): string[] {
  return tls ? ['--tls-cert', tls.files.cert, '--tls-key', tls.files.key, '--tls-ca', tls.files.ca] : [];
}

const serverCreds = new WeakMap<TlsConfig, grpc.ServerCredentials>();
const channelCreds = new WeakMap<TlsConfig, grpc.ChannelCredentials>();

/** Mutual TLS: a client must present a certificate signed by the cluster CA. Plaintext without TLS. */
export function serverCredentials(tls: TlsConfig | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  let c = serverCreds.get(tls);
  if (!c) serverCreds.set(tls, (c = grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true)));
  return c;
}

/** The server's certificate is checked against the cluster CA; this process's is presented. */
export function channelCredentials(tls: TlsConfig | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  let c = channelCreds.get(tls);
  if (!c) {
    quietIpServernameWarning();
    channelCreds.set(tls, (c = grpc.credentials.createSsl(tls.ca, tls.key, tls.cert)));
  }
  return c;
}

/**
 * grpc-js sends the dialled host as the TLS server name, and Node warns (DEP0123, on stderr) when
 * that is an IP address, as cluster addresses usually are. The certificate is still checked
 * against the IP; only the warning line is dropped, so that CLI errors stay one line.
 */
let warningFiltered = false;
function quietIpServernameWarning(): void {
  if (warningFiltered) return;
  warningFiltered = true;
  const emit = process.emitWarning.bind(process) as (...a: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const opts = rest[0];
    const code = typeof opts === 'object' && opts !== null ? (opts as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

export interface TlsFailure {
  /** MR_ERR_TLS when the error can only be a TLS problem; MR_ERR_UNREACHABLE when it is likely one. */
  code: Extract<ErrorCode, 'MR_ERR_TLS' | 'MR_ERR_UNREACHABLE'>;
  reason: string;
}

/**
 * A readable reason when a gRPC connection error (the details of an UNAVAILABLE status) comes from
 * TLS: a certificate not signed by the CA, a peer without TLS, or the reverse. `tls` says whether
 * this side used TLS, when known. Undefined for anything else (a refused connection, a timeout).
 */
export function tlsFailure(details: string, tls?: boolean): TlsFailure | undefined {
  const last = lastError(details);
  const certain = (reason: string): TlsFailure => ({ code: 'MR_ERR_TLS', reason });
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(last)) {
    return certain('it does not use TLS (start it with --tls-cert, --tls-key and --tls-ca, or drop them here)');
  }
  if (/self[- ]signed certificate|unable to (get|verify)|certificate verify failed|certificate signature failure/i.test(last)) {
    return certain('its certificate is not signed by the cluster CA (--tls-ca / MR_TLS_CA)');
  }
  if (/alert (unknown ca|bad certificate|certificate unknown|decrypt error|handshake failure|certificate revoked|unsupported certificate)/i.test(last)) {
    return certain('it refused our certificate: not signed by the cluster CA');
  }
  if (/alert certificate required/i.test(last)) return certain('it requires a client certificate (--tls-cert, --tls-key, --tls-ca)');
  if (/Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME|altnames/i.test(last)) {
    return certain(`its certificate does not name the address dialled (add it to the certificate's subjectAltName): ${firstLine(last)}`);
  }
  if (/certificate (has expired|is not yet valid)/i.test(last)) return certain(firstLine(last));
  // grpc-js says only this when the peer accepted the TCP connection, then closed it before HTTP/2 began
  if (/^Failed to connect\b/.test(last)) {
    if (tls === true) return certain('it closed the connection during the handshake: it refused our certificate (not signed by the cluster CA?)');
    return {
      code: 'MR_ERR_UNREACHABLE',
      reason: tls === false
        ? 'it closed the connection at setup: it probably requires TLS (set MR_TLS_CERT, MR_TLS_KEY and MR_TLS_CA, or --tls-*)'
        : 'it closed the connection at setup (a TLS mismatch? check --tls-* / MR_TLS_* on both sides)',
    };
  }
  return undefined;
}

/** grpc-js: "No connection established. Last error: X (ISO time). Resolution note: ..." -> X. */
function lastError(details: string): string {
  const m = /Last error: ([\s\S]*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?\.? Resolution note:/.exec(details);
  return (m ? m[1]! : details).replace(/^Error: /, '').trim();
}

/** An OpenSSL error is several lines with source paths; keep the reason. */
function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:/, '').replace(/:\.\.\/deps\/openssl.*$/, '');
}
