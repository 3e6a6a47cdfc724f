import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
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

/** --master, else MR_MASTER, else the master started on this machine with the default data dir. */
export function masterAddress(flag: string | undefined): string {
  const given = flag ?? process.env.MR_MASTER;
  if (given) {
    if (!/^[^\s:]+:\d+$/.test(given) && !/^\[[^\]]+\]:\d+$/.test(given)) throw new MrError('MR_ERR_USAGE', `--master '${given}': expected HOST:PORT`);
    return given;
  }
  try {
    const info = JSON.parse(readFileSync(join(defaultMasterDataDir(), 'master.json'), 'utf8')) as { address: string };
    return info.address;
  } catch {
    throw new MrError('MR_ERR_USAGE', 'no master given: use --master HOST:PORT (or set MR_MASTER)');
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
    .option('--tls-cert <FILE>', 'mutual TLS on every gRPC connection: this node\'s certificate, PEM (or MR_TLS_CERT)')
    .option('--tls-key <FILE>', 'the private key of --tls-cert, PEM (or MR_TLS_KEY)')
    .option('--tls-ca <FILE>', 'the cluster CA, PEM: peers must present a certificate it signed (or MR_TLS_CA)');
}

/** The flags, else MR_TLS_*, loaded and checked once (all three or none: rpc/tls.ts). */
export function tlsConfigFrom(o: TlsFlags): TlsConfig | undefined {
  return loadTlsConfig({ cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa });
}
