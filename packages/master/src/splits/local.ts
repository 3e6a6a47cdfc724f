import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listObjects, MrError, parseUri } from '@mr/shared';
import type { Split } from '../machine/types.js';

/** Names a directory walk skips (contract.md: names starting with `_` or `.`). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/** A directory entry an input listing passed over, and why (counted in the job's `skippedInputEntries`). */
export interface SkippedEntry {
  path: string;
  why: string;
}

/**
 * Every input file under the given URIs, in path order. A missing path is an error naming it.
 * Directories are walked recursively as Hadoop's local file system does: symbolic links are
 * followed, to files and to directories, and a link back to a directory being walked (a loop) is
 * not. Names starting with `_` or `.` are skipped silently (they are a job's own markers and
 * temporaries); a broken link, a loop or anything that is neither a file nor a directory (a socket,
 * a FIFO) is skipped too, and added to `skipped` so that the job can say so.
 */
export async function listInputFiles(uris: string[], skipped: SkippedEntry[] = []): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const uri of uris) {
    const loc = parseUri(uri);
    if (loc.scheme === 'bs') continue; // listed from the namespace (submit.ts)
    if (loc.scheme === 's3') {
      const objects = await listObjects(loc.bucket, loc.key);
      if (objects.length === 0) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `input not found: no objects under ${uri}`);
      for (const o of objects) out.push({ path: `s3://${loc.bucket}/${o.key}`, size: o.size });
      continue;
    }
    let st;
    try {
      st = await stat(loc.path);
    } catch {
      throw new MrError('MR_ERR_INPUT_NOT_FOUND', `input not found: ${loc.path}`);
    }
    if (st.isFile()) out.push({ path: loc.path, size: st.size });
    else if (st.isDirectory()) await walk(loc.path, out, skipped, new Set([await realpath(loc.path)]));
    else throw new MrError('MR_ERR_INPUT_NOT_FOUND', `input ${loc.path} is neither a file nor a directory`);
  }
  return out;
}

/** `ancestors`: the real paths of the directories being walked, from the input down to `dir`. */
async function walk(dir: string, out: { path: string; size: number }[], skipped: SkippedEntry[], ancestors: Set<string>): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (isHiddenName(e.name)) continue;
    const path = join(dir, e.name);
    let st;
    try {
      st = await stat(path); // follows a symbolic link
    } catch (err) {
      skipped.push({ path, why: e.isSymbolicLink() ? 'a broken symbolic link' : `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    if (st.isDirectory()) {
      const real = await realpath(path);
      if (ancestors.has(real)) {
        skipped.push({ path, why: `a symbolic link loop (back to ${real})` });
        continue;
      }
      await walk(path, out, skipped, new Set([...ancestors, real]));
    } else if (st.isFile()) {
      out.push({ path, size: st.size });
    } else {
      skipped.push({ path, why: 'neither a file nor a directory' });
    }
  }
}

/**
 * Cuts files into splits of `splitSize` bytes (design.md: a line belongs to the split where it
 * starts; the reader finishes lines across the cut). A `.gz` file is one split; so is an empty
 * file, which gives a map with no records.
 */
export function cutSplits(files: { path: string; size: number }[], splitSize: number): Split[] {
  const splits: Split[] = [];
  for (const f of files) {
    if (f.path.endsWith('.gz') || f.size <= splitSize) {
      splits.push({ uri: f.path, start: 0, length: f.size });
      continue;
    }
    for (let start = 0; start < f.size; start += splitSize) {
      splits.push({ uri: f.path, start, length: Math.min(splitSize, f.size - start) });
    }
  }
  return splits;
}
