import { Command, Option } from 'commander';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { isBs, isS3, localPath, statLocation } from '../../locations.js';
import { intFlag, sizeFlag } from '../../options.js';
import { checkTargets, runCopy, singleFile, treePlan } from './copy.js';
import { withSession } from './session.js';

export function putCommand(io: Io): Command {
  return new Command('put')
    .description('copy a local file, or with -r a directory\'s tree, to bs:// or s3:// (parents are created; an existing file is refused)')
    .argument('<LOCAL>').argument('<URI>')
    .option('-r, --recursive', 'copy a directory: its whole tree, mirrored under URI')
    .addOption(new Option('--block-size <SIZE>', "bs:// only: block size of each file (default: the master's --block-size, 64m)").argParser(sizeFlag('--block-size')))
    .addOption(new Option('--replication <N>', 'bs:// only: replicas per block (default: min(3, live core workers))').argParser(intFlag('--replication', 1, 16)))
    .option('--overwrite', 'replace existing files')
    .action(withSession(async (ctx, local: string, dest: string, o: { recursive?: boolean; blockSize?: number; replication?: number; overwrite?: boolean }) => {
      const src = await statLocation(ctx, localPath(local));
      if (!src) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `put: ${localPath(local)} does not exist`);
      if (src.type === 'dir' && !o.recursive) throw new MrError('MR_ERR_USAGE', `put: ${src.uri} is a directory (use -r)`);
      if (!isBs(dest) && !isS3(dest)) throw new MrError('MR_ERR_USAGE', `put: ${dest} is not a bs:// or s3:// URI (use cp between local paths)`);
      const overwrite = o.overwrite === true;
      let plan = singleFile(src, dest);
      if (src.type === 'dir') {
        plan = await treePlan(ctx, src, dest);
        await checkTargets(ctx, plan, dest, 'put', overwrite);
      }
      await runCopy(ctx, io, `put ${dest}`, plan, { overwrite, ...(o.blockSize ? { blockSize: o.blockSize } : {}), ...(o.replication ? { replication: o.replication } : {}) });
    }));
}
