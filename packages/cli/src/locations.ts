/**
 * Reading and writing any location the CLI names (contract.md "URIs"): a local path or file://,
 * s3:// and bs://. Shared by `mr fs`, `mr gen` and `--format table`; each write is whole or not at all.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isHiddenName, listInputFiles } from '@mr/master';
import {
  BlockStoreClient, bsPath, completeUpload, listNames, masterClient, MrError, objectExists, parseS3, parseUri, readObject, s3Join,
  uploadPending, wire,
} from '@mr/shared';
import { clientCreds, type ClientCreds } from './master-client.js';
import { masterAddress } from './options.js';

export const isBs = (uri: string) => uri.startsWith('bs://');
export const isS3 = (uri: string) => uri.startsWith('s3://');
export const bsUri = (path: string) => `bs://${path.replace(/^\//, '')}`;

/**
 * A location as the cluster must be told it: a plain relative path made absolute against this
 * process's working directory (the master and its workers run in their own); URIs (file://,
 * s3://, bs://) and the empty string (refused by the master) unchanged.
 */
export function absoluteLocation(uri: string, cwd = process.cwd()): string {
  return uri === '' || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(uri) ? uri : resolve(cwd, uri);
}

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
 * and TLS settings are the client's (MR_CLUSTER_TOKEN or the master's data dir, MR_TLS_*) unless given.
 */
export function blockStoreSession(master: () => string | undefined, creds?: ClientCreds): BlockStoreSession {
  let m: wire.MasterClient | undefined;
  let client: BlockStoreClient | undefined;
  return {
    client() {
      if (!client) {
        const { token, tls } = creds ?? clientCreds();
        m = masterClient(masterAddress(master()), token, tls);
        client = new BlockStoreClient(m, token, tls);
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

/** One input file: its URI (a local path for local files) and size in bytes. */
export interface InputFile {
  uri: string;
  size: number;
}

/**
 * Every input file under the given locations, as the engine lists them (contract.md "URIs": a
 * directory or prefix means every file under it, skipping names that start with `_` or `.`). A
 * missing location is an error naming it. bs:// needs a session (`mr run` has none: it refuses bs://).
 */
export async function listInputs(uris: string[], bs?: BlockStoreSession): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const uri of uris) {
    if (!isBs(uri)) {
      out.push(...(await listInputFiles([uri])).map((f) => ({ uri: f.path, size: f.size })));
      continue;
    }
    const path = bsPath(uri).replace(/\/+$/, '') || '/';
    const notFound = () => new MrError('MR_ERR_INPUT_NOT_FOUND', `input not found: ${uri}`);
    if (!bs) throw notFound();
    const e = await bs.client().stat(path).catch((err: unknown) => {
      throw MrError.is(err) && err.code === 'MR_ERR_FS_NOT_FOUND' ? notFound() : err;
    });
    if (!e.isDir) {
      out.push({ uri: bsUri(path), size: e.size });
      continue;
    }
    const base = path === '/' ? '' : path;
    const files = (await bs.client().list(path, true))
      .filter((f) => !f.isDir && !f.path.slice(base.length + 1).split('/').some(isHiddenName))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    out.push(...files.map((f) => ({ uri: bsUri(f.path), size: f.size })));
  }
  return out;
}

/** Names of the files directly in a directory or prefix location (hidden ones too); undefined if there is none. */
export async function fileNames(uri: string, bs: BlockStoreSession): Promise<string[] | undefined> {
  if (isBs(uri)) {
    const path = bsPath(uri).replace(/\/+$/, '') || '/';
    const entries = await bs.client().list(path, false).catch((e: unknown) => {
      if (MrError.is(e) && e.code === 'MR_ERR_FS_NOT_FOUND') return undefined;
      throw e;
    });
    return entries?.filter((e) => !e.isDir).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1));
  }
  if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    const base = key === '' ? '' : `${key}/`;
    const names = (await listNames(bucket, key)).map((o) => o.key.slice(base.length)).filter((n) => n !== '' && !n.includes('/'));
    return names.length === 0 ? undefined : names;
  }
  const dir = localPath(uri);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  return entries?.filter((e) => e.isFile()).map((e) => e.name);
}

/** Bytes per ranged GET when reading part of an S3 object. */
const S3_RANGE_BYTES = 1 << 20;

/**
 * The bytes of a file from `start` to `end` (exclusive), read lazily: a consumer that stops early
 * reads little more than it used (s3:// in ranged GETs of 1 MiB, bs:// block by block).
 */
export async function* readRange(bs: BlockStoreSession, uri: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  if (isBs(uri)) {
    yield* bs.client().read(bsPath(uri), start, end - start);
  } else if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    for (let pos = start; pos < end; pos += S3_RANGE_BYTES) {
      yield* (await readObject(bucket, key, pos, Math.min(end, pos + S3_RANGE_BYTES))) as AsyncIterable<Buffer>;
    }
  } else {
    yield* createReadStream(localPath(uri), { start, end: end - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  }
}

/** The bytes of an input file as the engine reads them: `.gz` decompressed. */
export function readInput(bs: BlockStoreSession, uri: string): Readable {
  const raw = readLocation(bs, uri);
  if (!uri.endsWith('.gz')) return raw;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (e) => gunzip.destroy(e));
  gunzip.on('close', () => raw.destroy()); // a reader that stops early (sampling) frees the source
  return raw.pipe(gunzip);
}
