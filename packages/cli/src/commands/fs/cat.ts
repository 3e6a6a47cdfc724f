import { Command } from 'commander';
import { MrError } from '@mr/shared';
import { writeStdout, type Io } from '../../io.js';
import { matchLocations, readLocation } from '../../locations.js';
import { withSession } from './session.js';

export function catCommand(_io: Io): Command {
  return new Command('cat')
    .description('print files (bs://, s3:// or local; globs: *, ?, [..], **) to stdout, one after another')
    .argument('<URI...>')
    .action(withSession(async (ctx, uris: string[]) => {
      for (const uri of uris) {
        const matches = await matchLocations(ctx, uri, 'cat');
        const files = matches.filter((e) => e.type === 'file');
        // a glob may match directories beside files: those are passed over, as `hdfs dfs -cat` does
        if (files.length === 0) throw new MrError('MR_ERR_FS_IS_DIR', matches.length === 1 ? `cat: ${uri} is a directory` : `cat: ${uri} matches no file`);
        for (const f of files) {
          for await (const b of readLocation(ctx, f.uri) as AsyncIterable<Buffer>) {
            if (!(await writeStdout(b))) return; // `mr fs cat ... | head`: the reader has what it wanted
          }
        }
      }
    }));
}
