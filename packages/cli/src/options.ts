import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { defaultMasterDataDir, loadTlsConfig, MrError, parseDuration, parseIntFlag, parseSize, type TlsConfig } from '@mr/shared';

/** `--param k=v` (repeatable) into a record; a value may contain '='. */
export function collectParam(text: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = text.indexOf('=');
  if (i <= 0) throw new MrError('MR_ERR_USAGE', `--param '${text}': expected key=value`);
  return { ...prev, [text.slice(0, i)]: text.slice(i + 1) };
}

export const intFlag = (flag: string, min: number, max?: number) => (v: string) => parseIntFlag(v, flag, min, max);
export const sizeFlag = (flag: string) => (v: string) => parseSize(v, flag);
export const durationFlag = (flag: string) => (v: string) => parseDuration(v, flag);

/** `--input a,b --input c` -> [a, b, c]. */
export function collectList(text: string, prev: string[] = []): string[] {
  return [...prev, ...text.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/** Where the master is when --master is not given (masterAddress), as --help says it. */
export const MASTER_DEFAULT = 'MR_MASTER, else the master started on this machine with the default --data, found by its master.json';

/** `--master` on a command that calls a standing cluster; `what` says what for, when not for everything it does. */
export function masterOption(what = 'the master'): Option {
  return new Option('--master <HOST:PORT>', `${what} (default: ${MASTER_DEFAULT})`);
}

/** --master, else MR_MASTER, else the master started on this machine with the default data dir. */
export function masterAddress(flag: string | undefined): string {
  const given = flag ?? process.env.MR_MASTER;
  if (given) {
    if (!/^[^\s:]+:\d+$/.test(given) && !/^\[[^\]]+\]:\d+$/.test(given)) throw new MrError('MR_ERR_USAGE', `--master '${given}': expected HOST:PORT`);
    return given;
  }
  const infoFile = join(defaultMasterDataDir(), 'master.json');
  try {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { address: string };
    return info.address;
  } catch {
    throw new MrError('MR_ERR_USAGE', `no master given: use --master HOST:PORT or set MR_MASTER (no master started on this machine with the default --data: no ${infoFile})`);
  }
}

export interface JobTuning {
  splitSize?: number;
  sortBufferMb?: number;
  maxAttempts?: number;
  overwrite?: boolean;
}

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** `--tls-cert/--tls-key/--tls-ca` on the processes of a cluster: master, worker and run (contract.md). */
export function addTlsOptions(cmd: Command): Command {
  return cmd
    .option('--tls-cert <FILE>', 'mutual TLS on every gRPC connection: this node\'s certificate, PEM (default: MR_TLS_CERT, else no TLS)')
    .option('--tls-key <FILE>', 'the private key of --tls-cert, PEM (default: MR_TLS_KEY)')
    .option('--tls-ca <FILE>', 'the cluster CA, PEM: peers must present a certificate it signed (default: MR_TLS_CA)');
}

/** The flags, else MR_TLS_*, loaded and checked once (all three or none: rpc/tls.ts). */
export function tlsConfigFrom(o: TlsFlags): TlsConfig | undefined {
  return loadTlsConfig({ cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa });
}
