/**
 * Reading and writing any location the CLI names (contract.md "URIs"): a local path or file://,
 * s3:// and bs://. Shared by `mr fs`, `mr gen` and `--format table`; each write is whole or not at all.
 * Everything that differs between the three stores lives here (stat, list, glob, ranged reads, writes,
 * removal), so that the `mr fs` verbs read the same for all of them.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isHiddenName, listInputFiles } from '@mr/master';
import {
  BlockStoreClient, bsPath, completeUpload, deleteObjects, headObject, listNames, masterClient, MrError, objectExists, parseS3, parseUri,
  readObject, s3Join, uploadPending, wire,
} from '@mr/shared';
import { globMatcher, hasGlob, splitGlob } from './glob.js';
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
  return readLocal(localPath(uri));
}

/** A local file as a stream; one that cannot be read is a one-line error naming it, not an errno dump. */
function readLocal(path: string, range: { start?: number; end?: number } = {}): Readable {
  return Readable.from((async function* () {
    try {
      yield* createReadStream(path, { ...range, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new MrError('MR_ERR_INPUT_NOT_FOUND', `${path} does not exist`);
      if (code === 'EISDIR') throw new MrError('MR_ERR_FS_IS_DIR', `${path} is a directory`);
      throw new MrError('MR_ERR_INPUT_NOT_FOUND', `${path}: cannot read (${code ?? (e as Error).message})`);
    }
  })(), { objectMode: false });
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
  /** bs:// only: replicas per block (default: the master's). */
  replication?: number;
}

/** What a bs:// write is told of the options: 0 or none means the master's default. */
function bsPutOptions(o: WriteOptions) {
  return { overwrite: o.overwrite, ...(o.blockSize ? { blockSize: o.blockSize } : {}), ...(o.replication ? { replication: o.replication } : {}) };
}

/** Writes a stream to a file at any location (parents created); it appears only when complete. */
export async function writeLocation(uri: string, source: Readable, o: WriteOptions): Promise<void> {
  if (isBs(uri)) {
    if (!o.bs) throw new MrError('MR_ERR_INTERNAL', `no block-store session to write ${uri}`);
    await o.bs.client().put(source, bsPath(uri), bsPutOptions(o));
  } else if (isS3(uri)) {
    await writeS3(source, uri, o.overwrite);
  } else {
    await writeLocal(source, localPath(uri), o.overwrite);
  }
}

/**
 * Writes a local file to any location. To bs:// the block-store client is given the file itself,
 * not a stream of it: a block whose core worker fails (its disk filled up) is then read again and
 * written elsewhere, which a stream cannot be. `onProgress` gets the bytes written so far.
 */
export async function writeLocationFromFile(uri: string, file: string, o: WriteOptions & { onProgress?(bytes: number): void }): Promise<void> {
  if (isBs(uri)) {
    if (!o.bs) throw new MrError('MR_ERR_INTERNAL', `no block-store session to write ${uri}`);
    await o.bs.client().put(file, bsPath(uri), { ...bsPutOptions(o), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return;
  }
  let bytes = 0;
  const counted = Readable.from((async function* () {
    for await (const b of createReadStream(file) as AsyncIterable<Buffer>) {
      bytes += b.length;
      o.onProgress?.(bytes);
      yield b;
    }
  })());
  await writeLocation(uri, counted, o);
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
    yield* readLocal(localPath(uri), { start, end: end - 1 }) as AsyncIterable<Buffer>;
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

/** A file or directory at any location, as `mr fs` shows it. */
export interface Entry {
  /** The location, normalised: an s3:// or bs:// URI, or an absolute local path. */
  uri: string;
  type: 'file' | 'dir';
  /** Bytes; 0 for a directory. */
  size: number;
  /** Last modified; undefined where the store keeps none (an S3 prefix is no object). */
  mtimeMs: number | undefined;
  /** bs:// files: replicas per block; 0 elsewhere. */
  replication: number;
}

/** An entry below a listed directory, with its path relative to it (`a/b.txt`, `/`-separated in every store). */
export interface TreeEntry extends Entry {
  rel: string;
}

const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;
const byUri = (a: Entry, b: Entry) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0);

/** A missing location, with the code of its store (both exit 1). */
export function notFound(uri: string, verb?: string): MrError {
  return new MrError(isBs(uri) ? 'MR_ERR_FS_NOT_FOUND' : 'MR_ERR_INPUT_NOT_FOUND', `${verb ? verb + ': ' : ''}${uri} does not exist`);
}

function bsEntry(e: wire.FsEntry): Entry {
  return { uri: bsUri(e.path), type: e.isDir ? 'dir' : 'file', size: e.isDir ? 0 : e.size, mtimeMs: e.mtimeMs || undefined, replication: e.isDir ? 0 : e.replication };
}

/**
 * What is at a location: a file, a directory (an S3 prefix that holds objects, a bucket's root), or
 * undefined when there is nothing. A local symlink is what it points at.
 */
export async function statLocation(bs: BlockStoreSession, uri: string): Promise<Entry | undefined> {
  if (isBs(uri)) {
    const e = await bs.client().stat(bsPath(uri)).catch((err: unknown) => {
      if (MrError.is(err) && err.code === 'MR_ERR_FS_NOT_FOUND') return undefined;
      throw err;
    });
    return e && bsEntry(e);
  }
  if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    const head = await headObject(bucket, key);
    if (head) return { uri: s3Uri(bucket, key), type: 'file', size: head.size, mtimeMs: head.mtimeMs, replication: 0 };
    // an empty bucket root is still a directory; listing it says whether the bucket exists
    const any = await listNames(bucket, key, 1);
    return key === '' || any.length > 0 ? { uri: s3Uri(bucket, key), type: 'dir', size: 0, mtimeMs: undefined, replication: 0 } : undefined;
  }
  const path = localPath(uri);
  const st = await stat(path).catch(() => undefined);
  return st && { uri: path, type: st.isDirectory() ? 'dir' : 'file', size: st.isDirectory() ? 0 : st.size, mtimeMs: st.mtimeMs, replication: 0 };
}

/**
 * Everything below a directory down to `depth` levels (1: its children), sorted by path, hidden
 * names included. S3 has no directories: every prefix between a listed key and the directory is one.
 */
export async function listTree(bs: BlockStoreSession, dir: Entry, depth = Infinity): Promise<TreeEntry[]> {
  const within = (e: TreeEntry) => e.rel.split('/').length <= depth;
  let all: TreeEntry[];
  if (isBs(dir.uri)) {
    const path = bsPath(dir.uri);
    const base = path === '/' ? '' : path;
    all = (await bs.client().list(path, true)).map((e) => ({ ...bsEntry(e), rel: e.path.slice(base.length + 1) }));
  } else if (isS3(dir.uri)) {
    all = await listS3Tree(dir.uri);
  } else {
    all = await walkLocal(dir.uri, '', depth);
  }
  return all.filter(within).sort(byUri);
}

async function listS3Tree(uri: string): Promise<TreeEntry[]> {
  const { bucket, key } = parseS3(uri);
  const base = key === '' ? '' : `${key}/`;
  const out = new Map<string, TreeEntry>();
  const dirAt = (rel: string) => {
    if (!out.has(rel)) out.set(rel, { uri: s3Uri(bucket, base + rel), rel, type: 'dir', size: 0, mtimeMs: undefined, replication: 0 });
  };
  for (const o of await listNames(bucket, key)) {
    const rel = o.key.slice(base.length);
    const segments = rel.split('/');
    // every prefix on the way is a directory; a key ending in '/' is a console's folder marker
    for (let i = 1; i < segments.length; i++) if (segments.slice(0, i).every((s) => s !== '')) dirAt(segments.slice(0, i).join('/'));
    if (rel !== '' && !rel.endsWith('/')) out.set(rel, { uri: s3Uri(bucket, o.key), rel, type: 'file', size: o.size, mtimeMs: o.mtimeMs, replication: 0 });
  }
  return [...out.values()];
}

/** A local directory's tree; a symlink is what it points at (a dangling one: a file that cannot be read), and is not descended into. */
async function walkLocal(dir: string, prefix: string, depth: number): Promise<TreeEntry[]> {
  const names = await readdir(dir, { withFileTypes: true });
  const levels = await Promise.all(names.map(async (d): Promise<TreeEntry[]> => {
    const path = join(dir, d.name);
    const rel = prefix === '' ? d.name : `${prefix}/${d.name}`;
    const st = (await stat(path).catch(() => undefined)) ?? (await lstat(path));
    const isDir = st.isDirectory();
    const self: TreeEntry = { uri: path, rel, type: isDir ? 'dir' : 'file', size: isDir ? 0 : st.size, mtimeMs: st.mtimeMs, replication: 0 };
    const below = isDir && d.isDirectory() && rel.split('/').length < depth ? await walkLocal(path, rel, depth) : [];
    return [self, ...below];
  }));
  return levels.flat();
}

/**
 * The entries a location names: itself when it holds no glob syntax, else what the pattern matches
 * (contract.md "mr fs": `*`, `?`, `[..]` within a segment, `**` across them), sorted. Nothing there,
 * or a pattern that matches nothing, is an error naming it (exit 1).
 */
export async function matchLocations(bs: BlockStoreSession, uri: string, verb: string): Promise<Entry[]> {
  const { root, segments } = pathSegments(uri);
  if (!hasGlob(segments.join('/'))) {
    const e = await statLocation(bs, uri);
    if (!e) throw notFound(uri, verb);
    return [e];
  }
  const { base, rest, depth } = splitGlob(segments);
  const dir = await statLocation(bs, root + base.join('/'));
  const matches = dir?.type === 'dir' ? (await listTree(bs, dir, depth)).filter((e) => globMatcher(rest)(e.rel)) : [];
  if (matches.length === 0) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `${verb}: ${uri} matches nothing`);
  return matches.map(({ rel: _, ...e }) => e);
}

/** A location as a root to prefix and its path segments (`s3://b/` + ['x', 'y']), normalised. */
function pathSegments(uri: string): { root: string; segments: string[] } {
  if (isBs(uri)) return { root: 'bs://', segments: bsPath(uri).split('/').filter((s) => s !== '') };
  if (isS3(uri)) {
    const { bucket, key } = parseS3(uri);
    return { root: `s3://${bucket}/`, segments: key.split('/').filter((s) => s !== '') };
  }
  return { root: '/', segments: localPath(uri).split('/').filter((s) => s !== '') };
}

/** Creates a directory and its parents (bs://, local); S3 has none to create. */
export async function mkdirLocation(bs: BlockStoreSession, uri: string): Promise<void> {
  if (isBs(uri)) await bs.client().mkdir(bsPath(uri));
  else if (!isS3(uri)) await mkdir(localPath(uri), { recursive: true });
}

/** Removes a file, or a directory (an S3 prefix) and all under it when `recursive`. */
export async function removeLocation(bs: BlockStoreSession, e: Entry, recursive: boolean): Promise<void> {
  if (isBs(e.uri)) return bs.client().delete(bsPath(e.uri), recursive);
  if (isS3(e.uri)) {
    const { bucket, key } = parseS3(e.uri);
    if (e.type === 'file') return deleteObjects(bucket, [key]);
    if (!recursive) throw new MrError('MR_ERR_FS_NOT_EMPTY', `rm: ${e.uri} is a prefix (use -r)`);
    return deleteObjects(bucket, (await listNames(bucket, key)).map((o) => o.key));
  }
  if (e.type === 'dir' && !recursive) throw new MrError('MR_ERR_FS_NOT_EMPTY', `rm: ${e.uri} is a directory (use -r)`);
  await rm(e.uri, { recursive: true });
}

/** Drops the entries that lie under another entry that is a directory (a glob's `**` matches both). */
export function outermost(entries: Entry[]): Entry[] {
  const dirs = entries.filter((e) => e.type === 'dir').map((e) => `${e.uri.replace(/\/+$/, '')}/`);
  return entries.filter((e) => !dirs.some((d) => e.uri.startsWith(d)));
}
