/**
 * Reading and writing any location the CLI names (contract.md "URIs"): a local path or file://,
 * s3:// and bs://. Shared by `mr fs`, `mr gen` and `--format table`; each write is whole or not at all.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  BlockStoreClient, bsPath, completeUpload, listNames, masterClient, MrError, objectExists, parseS3, parseUri, readObject, requireClusterToken, s3Join,
  uploadPending, wire,
} from '@mr/shared';
import { masterAddress } from './options.js';

export const isBs = (uri: string) => uri.startsWith('bs://');
export const isS3 = (uri: string) => uri.startsWith('s3://');
export const bsUri = (path: string) => `bs://${path.replace(/^\//, '')}`;

export function localPath(uri: string): string {
  const loc = parseUri(uri);
  if (loc.scheme !== 'file') throw new MrError('MR_ERR_USAGE', `${uri}: expected a local path here`);
  return loc.path;
}

/** A block-store client connected on first use, so that commands on local files need no master or token. */
export interface BlockStoreSession {
  client(): BlockStoreClient;
  close(): void;
}

/**
 * `master()` gives the --master flag (if any), read when the first bs:// location is used; the token
 * is the cluster's (MR_CLUSTER_TOKEN or the master's data dir) unless given.
 */
export function blockStoreSession(master: () => string | undefined, clusterToken?: string): BlockStoreSession {
  let m: wire.MasterClient | undefined;
  let client: BlockStoreClient | undefined;
  return {
    client() {
      if (!client) {
        const token = clusterToken ?? requireClusterToken();
        m = masterClient(masterAddress(master()), token);
        client = new BlockStoreClient(m, token);
      }
      return client;
    },
    close() {
      client?.close();
      m?.close();
    },
  };
}

/** The bytes of any location as a stream (bs:// through the session's client). */
export function readLocation(bs: BlockStoreSession, uri: string): Readable {
  if (isBs(uri)) return Readable.from(bs.client().read(bsPath(uri)));
  if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    return Readable.from((async function* () {
      yield* (await readObject(bucket, key)) as AsyncIterable<Buffer>;
    })());
  }
  return createReadStream(localPath(uri), { highWaterMark: 1 << 20 });
}

/** Writes a stream to an S3 key whole or not at all (a multipart upload completed at the end). */
export async function writeS3(source: Readable, uri: string, overwrite: boolean): Promise<void> {
  const { bucket, key } = parseS3(uri);
  if (!overwrite && (await objectExists(bucket, key))) throw new MrError('MR_ERR_FS_EXISTS', `${uri} already exists (use --overwrite)`);
  await completeUpload(await uploadPending(source, bucket, key));
}

/** Writes a local file whole or not at all: a temporary name, renamed when complete. */
export async function writeLocal(source: Readable, dest: string, overwrite: boolean): Promise<void> {
  const exists = await stat(dest).then(() => true, () => false);
  if (exists && !overwrite) throw new MrError('MR_ERR_FS_EXISTS', `${dest} already exists (use --overwrite)`);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.mr-tmp-${process.pid}`;
  try {
    await pipeline(source, createWriteStream(tmp));
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export interface WriteOptions {
  overwrite: boolean;
  /** Needed for bs:// destinations. */
  bs?: BlockStoreSession;
  /** bs:// only: this file's block size (default: the master's). */
  blockSize?: number;
}

/** Writes a stream to a file at any location (parents created); it appears only when complete. */
export async function writeLocation(uri: string, source: Readable, o: WriteOptions): Promise<void> {
  if (isBs(uri)) {
    if (!o.bs) throw new MrError('MR_ERR_INTERNAL', `no block-store session to write ${uri}`);
    await o.bs.client().put(source, bsPath(uri), { overwrite: o.overwrite, ...(o.blockSize ? { blockSize: o.blockSize } : {}) });
  } else if (isS3(uri)) {
    await writeS3(source, uri, o.overwrite);
  } else {
    await writeLocal(source, localPath(uri), o.overwrite);
  }
}

/** `rel` (a relative `a/b/c` path) under a directory or prefix location. */
export function childLocation(base: string, rel: string): string {
  if (isBs(base)) return bsUri(`${bsPath(base).replace(/\/+$/, '')}/${rel}`);
  if (isS3(base)) {
    const { bucket, key } = parseS3(base);
    return `s3://${bucket}/${s3Join(key, rel)}`;
  }
  return join(localPath(base), rel);
}

/**
 * Whether a directory or prefix location holds any file (at any depth); a missing one holds none.
 * A local path that is a file counts as holding one.
 */
export async function holdsFiles(uri: string, bs?: BlockStoreSession): Promise<boolean> {
  if (isBs(uri)) {
    if (!bs) throw new MrError('MR_ERR_INTERNAL', `no block-store session to list ${uri}`);
    const entries = await bs.client().list(bsPath(uri), true).catch((e: unknown) => {
      if (MrError.is(e) && e.code === 'MR_ERR_FS_NOT_FOUND') return [];
      throw e;
    });
    return entries.some((e) => !e.isDir);
  }
  if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    return (await listNames(bucket, key)).length > 0;
  }
  const dir = localPath(uri);
  const st = await stat(dir).catch(() => undefined);
  if (!st) return false;
  if (!st.isDirectory()) return true;
  return (await readdir(dir, { recursive: true, withFileTypes: true })).some((d) => !d.isDirectory());
}
