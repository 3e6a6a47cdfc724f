import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MrError, parseUri } from '@mr/shared';

/**
 * Where a local path really leads: the realpath of its nearest existing ancestor joined with the
 * rest, so that a symlink anywhere above it (or the path itself, when it exists) is followed. The
 * path is first resolved the way the engine resolves local locations (parseUri: absolute, `..`
 * folded), since that is the path it writes to.
 */
export async function realPathOf(path: string): Promise<string> {
  let dir = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(dir), ...rest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new MrError('MR_ERR_OUTPUT_FORBIDDEN', `output ${path}: cannot tell where ${dir} leads (${code ?? (e as Error).message})`);
      }
      const parent = dirname(dir);
      if (parent === dir) return join(dir, ...rest);
      rest.unshift(basename(dir));
      dir = parent;
    }
  }
}

/** Whether `path` is `dir` or anywhere under it (both absolute and real). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * A local output must not lead into the master's --data dir (its journal, token and job modules):
 * refused at submit, with one line naming the output, whatever symlinks the path goes through.
 * Other schemes are not local and pass.
 */
export async function checkOutputOutsideDataDir(output: string, dataDir: string): Promise<void> {
  if (!output) return; // checkLocations says what is missing
  const loc = parseUri(output);
  if (loc.scheme !== 'file') return;
  const [real, data] = await Promise.all([realPathOf(loc.path), realPathOf(dataDir)]);
  if (!isInside(real, data)) return;
  const via = real === loc.path ? '' : ` (it leads to ${real})`;
  throw new MrError('MR_ERR_OUTPUT_FORBIDDEN', `output ${loc.path} is inside the master's data dir ${resolve(dataDir)}${via}: choose another output`);
}
