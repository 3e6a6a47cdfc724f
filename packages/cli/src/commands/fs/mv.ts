import { rename } from 'node:fs/promises';
import { Command } from 'commander';
import { bsPath, MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { isBs, localPath } from '../../locations.js';
import { withSession } from './session.js';

export function mvCommand(_io: Io): Command {
  return new Command('mv')
    .description('rename within one store, bs:// (atomic) or local (use cp, then rm, between stores)')
    .argument('<SRC>').argument('<DST>')
    .action(withSession(async (ctx, src: string, dst: string) => {
      if (isBs(src) !== isBs(dst)) throw new MrError('MR_ERR_USAGE', 'mv: both locations must be in the same store (use cp, then rm)');
      if (isBs(src)) await ctx.client().rename(bsPath(src), bsPath(dst));
      else await rename(localPath(src), localPath(dst));
    }));
}
