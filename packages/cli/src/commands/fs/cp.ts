import { Command, Option } from 'commander';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { isBs, notFound, readLocation, statLocation, writeLocation } from '../../locations.js';
import { sizeFlag } from '../../options.js';
import { withSession } from './session.js';

export function cpCommand(_io: Io): Command {
  return new Command('cp')
    .description('copy a file between any two locations (bs://, s3://, local), streaming')
    .argument('<SRC>').argument('<DST>')
    .option('--overwrite', 'replace an existing destination')
    .addOption(new Option('--block-size <SIZE>', "block size when writing to bs:// (default: the master's --block-size, 64m)").argParser(sizeFlag('--block-size')))
    .action(withSession(async (ctx, src: string, dst: string, o: { overwrite?: boolean; blockSize?: number }) => {
      const from = await statLocation(ctx, src);
      if (!from) throw isBs(src) ? notFound(src) : new MrError('MR_ERR_INPUT_NOT_FOUND', `cp: ${src} does not exist`);
      if (from.type === 'dir') throw new MrError('MR_ERR_FS_IS_DIR', `cp: ${src} is a directory`);
      await writeLocation(dst, readLocation(ctx, from.uri), { overwrite: o.overwrite === true, bs: ctx, ...(o.blockSize ? { blockSize: o.blockSize } : {}) });
    }));
}
