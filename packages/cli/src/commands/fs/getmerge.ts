import { Readable } from 'node:stream';
import { Command } from 'commander';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { listTree, localPath, matchLocations, readLocation, writeLocal, type BlockStoreSession, type Entry } from '../../locations.js';
import { copyProgress } from '../../render/progress.js';
import { copyReport } from '../../render/sizes.js';
import { withSession } from './session.js';

const hidden = (uri: string) => /^[_.]/.test(uri.slice(uri.lastIndexOf('/') + 1));

/**
 * The files to merge, sorted by name: a directory's own files (not below it; `_` and `.` names, such
 * as a job output's `_SUCCESS`, left out as a job's input would leave them), a glob's files, or one file.
 */
async function filesToMerge(ctx: BlockStoreSession, src: string): Promise<Entry[]> {
  const matches = await matchLocations(ctx, src, 'getmerge');
  const only = matches[0]!;
  const files = matches.length === 1 && only.type === 'dir'
    ? (await listTree(ctx, only, 1)).filter((e) => e.type === 'file' && !hidden(e.uri))
    : matches.filter((e) => e.type === 'file');
  if (files.length === 0) throw new MrError('MR_ERR_INPUT_EMPTY', `getmerge: ${src} holds no file to merge`);
  return files.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
}

export function getmergeCommand(io: Io): Command {
  return new Command('getmerge')
    .description('concatenate the files of a directory (bs://, s3:// or local; or a glob), sorted by name, into one local file, written whole or not at all')
    .argument('<URI>').argument('<LOCAL>')
    .option('--nl', 'a newline between one file and the next')
    .option('--overwrite', 'replace an existing local file')
    .action(withSession(async (ctx, src: string, local: string, o: { nl?: boolean; overwrite?: boolean }) => {
      const started = performance.now();
      const files = await filesToMerge(ctx, src);
      const target = localPath(local);
      const total = files.reduce((n, f) => n + f.size, 0) + (o.nl ? files.length - 1 : 0);
      const bar = copyProgress(`getmerge ${src}`, total, files.length);
      let bytes = 0;
      let done = 0;
      const merged = Readable.from((async function* () {
        for (const [i, f] of files.entries()) {
          if (i > 0 && o.nl) {
            bytes++;
            yield Buffer.from('\n');
          }
          for await (const b of readLocation(ctx, f.uri) as AsyncIterable<Buffer>) {
            bytes += b.length;
            bar.update(bytes, done);
            yield b;
          }
          bar.update(bytes, ++done);
        }
      })());
      await writeLocal(merged, target, o.overwrite === true).finally(bar.done);
      io.err(copyReport(`getmerge ${target}`, files.length, bytes, performance.now() - started));
    }));
}
