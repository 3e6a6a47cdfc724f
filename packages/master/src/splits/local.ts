import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listObjects, MrError, parseUri } from '@mr/shared';
import type { Split } from '../machine/types.js';

/** Names a directory walk skips (contract.md: names starting with `_` or `.`). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/** Every input file under the given URIs, in path order. A missing path is an error naming it. */
export async function listInputFiles(uris: string[]): Promise<{ path: string; size: number }[]> {
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
    else if (st.isDirectory()) await walk(loc.path, out);
  }
  return out;
}

async function walk(dir: string, out: { path: string; size: number }[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (isHiddenName(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out);
    else if (e.isFile()) out.push({ path, size: (await stat(path)).size });
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
