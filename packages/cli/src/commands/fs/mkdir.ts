import { Command } from 'commander';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { isS3, mkdirLocation } from '../../locations.js';
import { withSession } from './session.js';

export function mkdirCommand(_io: Io): Command {
  return new Command('mkdir')
    .description('create a directory and its parents (bs:// or local; an S3 prefix exists once it holds a key)')
    .argument('<URI>')
    .action(withSession(async (ctx, uri: string) => {
      // succeeding while creating nothing would be a silent wrong answer
      if (isS3(uri)) throw new MrError('MR_ERR_UNSUPPORTED', `mkdir: ${uri}: S3 has no directories (a prefix exists once it holds a key)`);
      await mkdirLocation(ctx, uri);
    }));
}
