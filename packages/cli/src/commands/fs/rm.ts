import { Command } from 'commander';
import { MrError } from '@mr/shared';
import type { Io } from '../../io.js';
import { matchLocations, outermost, removeLocation, type Entry } from '../../locations.js';
import { hasGlob } from '../../glob.js';
import { withSession } from './session.js';

export function rmCommand(_io: Io): Command {
  return new Command('rm')
    .description('remove files, or with -r directories (bs://, s3:// or local; globs: *, ?, [..], **)')
    .argument('<URI...>')
    .option('-r, --recursive', 'directories (S3 prefixes) and everything under them')
    .action(withSession(async (ctx, uris: string[], o: { recursive?: boolean }) => {
      const recursive = o.recursive === true;
      const doomed: Entry[] = [];
      // every location is resolved, and a glob's directories refused without -r, before anything goes
      for (const uri of uris) {
        const matches = await matchLocations(ctx, uri, 'rm');
        const dir = hasGlob(uri) && !recursive ? matches.find((e) => e.type === 'dir') : undefined;
        if (dir) throw new MrError('MR_ERR_FS_NOT_EMPTY', `rm: ${dir.uri} (matched by ${uri}) is a directory (use -r); nothing removed`);
        doomed.push(...matches);
      }
      for (const e of outermost(doomed)) await removeLocation(ctx, e, recursive);
    }));
}
