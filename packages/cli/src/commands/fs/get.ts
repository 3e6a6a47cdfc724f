import { Command } from 'commander';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { isBs, isS3, localPath, notFound, statLocation } from '../../locations.js';
import { checkTargets, runCopy, singleFile, treePlan } from './copy.js';
import { withSession } from './session.js';

export function getCommand(io: Io): Command {
  return new Command('get')
    .description('copy a bs:// or s3:// file, or with -r a directory\'s tree, to a local path (each file written whole or not at all)')
    .argument('<URI>').argument('<LOCAL>')
    .option('-r, --recursive', 'copy a directory (an S3 prefix): its whole tree, mirrored under LOCAL')
    .option('--overwrite', 'replace existing local files')
    .action(withSession(async (ctx, src: string, local: string, o: { recursive?: boolean; overwrite?: boolean }) => {
      if (!isBs(src) && !isS3(src)) throw new MrError('MR_ERR_USAGE', `get: ${src} is not a bs:// or s3:// URI`);
      const from = await statLocation(ctx, src);
      if (!from) throw notFound(src);
      if (from.type === 'dir' && !o.recursive) throw new MrError('MR_ERR_USAGE', `get: ${src} is a directory (use -r)`);
      const target = localPath(local);
      const overwrite = o.overwrite === true;
      let plan = singleFile(from, target);
      if (from.type === 'dir') {
        plan = await treePlan(ctx, from, target);
        await checkTargets(ctx, plan, target, 'get', overwrite);
      }
      await runCopy(ctx, io, `get ${src}`, plan, { overwrite });
    }));
}
