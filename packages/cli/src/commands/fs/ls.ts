import { Command } from 'commander';
import type { Io } from '../../io.js';
import { listTree, matchLocations, type BlockStoreSession, type Entry } from '../../locations.js';
import { mtimeText, sizeText } from '../../render/sizes.js';
import { table } from '../../render/table.js';
import { withSession } from './session.js';

interface LsOptions {
  recursive?: boolean;
  directory?: boolean;
  human?: boolean;
  json?: boolean;
}

/** What `ls` shows for one matched location: a file itself, a directory's children (or all below it with -r; itself with -d). */
async function rowsOf(ctx: BlockStoreSession, e: Entry, o: LsOptions): Promise<Entry[]> {
  if (e.type === 'file' || o.directory) return [e];
  return listTree(ctx, e, o.recursive ? Infinity : 1);
}

/** `--json`: one object per entry; mtime in ISO 8601 (UTC), null where the store keeps none (an S3 prefix). */
const jsonRow = (e: Entry) => ({ path: e.uri, type: e.type, size: e.size, replication: e.replication, mtime: e.mtimeMs === undefined ? null : new Date(e.mtimeMs).toISOString() });

export function lsCommand(io: Io): Command {
  return new Command('ls')
    .description('list directories and files (bs://, s3:// or local; globs: *, ?, [..], **): type, size, replication, modification time, path')
    .argument('<URI...>')
    .helpOption('--help', 'display help for command') // -h is --human, as in `hdfs dfs -ls -h`
    .option('-r, --recursive', 'everything under each directory')
    .option('-d, --directory', 'directories as entries themselves, not their contents')
    .option('-h, --human', 'sizes in K, M, G (powers of 1024)')
    .option('--json', 'print JSON on stdout: [{ path, type, size, replication, mtime }]')
    .action(withSession(async (ctx, uris: string[], o: LsOptions) => {
      const rows: Entry[] = [];
      for (const uri of uris) {
        for (const e of await matchLocations(ctx, uri, 'ls')) rows.push(...(await rowsOf(ctx, e, o)));
      }
      if (o.json) return io.out(JSON.stringify(rows.map(jsonRow)));
      io.out(table(['TYPE', 'SIZE', 'REPL', 'MODIFIED', 'PATH'], rows.map((r) => [
        r.type, sizeText(r.size, o.human === true), r.replication ? String(r.replication) : '-', mtimeText(r.mtimeMs), r.uri,
      ])));
    }));
}
