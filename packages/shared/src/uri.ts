import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MrError } from './errors.js';

/** A location as contract.md "URIs" names them. */
export type Location =
  | { scheme: 'file'; path: string }
  | { scheme: 's3'; bucket: string; key: string }
  | { scheme: 'bs'; path: string };

/** Parses a URI or plain path; relative paths resolve against `cwd`. */
export function parseUri(text: string, cwd = process.cwd()): Location {
  if (text === '') throw new MrError('MR_ERR_BAD_URI', 'empty location');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { scheme: 'file', path: isAbsolute(text) ? resolve(text) : resolve(cwd, text) };
  if (scheme === 'file') {
    try {
      return { scheme: 'file', path: fileURLToPath(text) };
    } catch {
      throw new MrError('MR_ERR_BAD_URI', `${text}: a file URI needs an absolute path (file:///abs/path)`);
    }
  }
  if (scheme === 's3') {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(text);
    if (!m) throw new MrError('MR_ERR_BAD_URI', `${text}: an S3 URI is s3://bucket/prefix`);
    return { scheme: 's3', bucket: m[1]!, key: m[2]!.replace(/\/+$/, '') };
  }
  if (scheme === 'bs') return { scheme: 'bs', path: bsNamespacePath(text) };
  throw new MrError('MR_ERR_BAD_URI', `${text}: unsupported scheme '${scheme}://' (use a path, file://, s3:// or bs://)`);
}

/**
 * The block-store namespace path of a `bs://` URI, normalised: `bs://a//b/./c/../d/` -> `/a/b/d`,
 * `bs://` -> `/`. A `..` that would climb above the namespace's root is refused (MR_ERR_BAD_URI,
 * naming the URI), so no bs:// location can name anything outside the block store.
 */
export function bsNamespacePath(uri: string): string {
  const m = /^bs:\/\/(.*)$/is.exec(uri);
  if (!m) throw new MrError('MR_ERR_BAD_URI', `${uri} is not a bs:// URI`);
  const parts: string[] = [];
  for (const seg of m[1]!.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') parts.push(seg);
    else if (parts.pop() === undefined) throw new MrError('MR_ERR_BAD_URI', `${uri}: '..' climbs above the block-store root (bs://)`);
  }
  return '/' + parts.join('/');
}

export function formatLocation(loc: Location): string {
  switch (loc.scheme) {
    case 'file':
      return loc.path;
    case 's3':
      return `s3://${loc.bucket}/${loc.key}`;
    case 'bs':
      return `bs://${loc.path.replace(/^\//, '')}`;
  }
}

/** The local path of a file location, or a clear error for schemes this build cannot use yet. */
export function requireLocalPath(text: string, what: string): string {
  const loc = parseUri(text);
  if (loc.scheme === 'file') return loc.path;
  throw new MrError('MR_ERR_UNSUPPORTED', `${what} ${text}: expected a local path here, not ${loc.scheme}://`);
}
