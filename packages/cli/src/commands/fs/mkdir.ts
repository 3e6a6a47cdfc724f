import { Command } from 'commander';
import type { Io } from '../../io.js';
import { mkdirLocation } from '../../locations.js';
import { withSession } from './session.js';

export function mkdirCommand(_io: Io): Command {
  return new Command('mkdir')
    .description('create a directory and its parents (bs:// or local; S3 has no directories to create)')
    .argument('<URI>')
    .action(withSession(async (ctx, uri: string) => {
      await mkdirLocation(ctx, uri);
    }));
}
