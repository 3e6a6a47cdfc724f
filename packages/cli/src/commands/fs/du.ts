import { Command } from 'commander';
import type { Io } from '../../io.js';
import { listTree, matchLocations, outermost, type BlockStoreSession, type Entry } from '../../locations.js';
import { sizeText } from '../../render/sizes.js';
import { withSession } from './session.js';

interface DuOptions {
  summary?: boolean;
  human?: boolean;
  json?: boolean;
}

/** One line of `du`: a location, the bytes of every file under it (or its own), and how many files that is. */
export interface DuRow {
  path: string;
  type: 'file' | 'dir';
  size: number;
  files: number;
}

/**
 * The rows for one matched location: a file is its own row; a directory is one row (-s) or one per
 * entry directly in it, each counting everything below that entry (as `hdfs dfs -du`).
 */
async function rowsOf(ctx: BlockStoreSession, e: Entry, summary: boolean): Promise<DuRow[]> {
  if (e.type === 'file') return [{ path: e.uri, type: 'file', size: e.size, files: 1 }];
  const tree = await listTree(ctx, e);
  const files = tree.filter((t) => t.type === 'file');
  if (summary) return [{ path: e.uri, type: 'dir', size: files.reduce((n, f) => n + f.size, 0), files: files.length }];
  const rows = new Map<string, DuRow>();
  for (const t of tree) if (!t.rel.includes('/')) rows.set(t.rel, { path: t.uri, type: t.type, size: 0, files: 0 });
  for (const f of files) {
    const row = rows.get(f.rel.split('/')[0]!)!;
    row.size += f.size;
    row.files++;
  }
  return [...rows.values()];
}

export function duCommand(io: Io): Command {
  return new Command('du')
    .description('bytes under each entry of a directory, or of files (bs://, s3:// or local; globs: *, ?, [..], **), and their total')
    .argument('<URI...>')
    .helpOption('--help', 'display help for command') // -h is --human, as in `hdfs dfs -du -h`
    .option('-s, --summary', 'one line per location given (or matched), not one per entry in it')
    .option('-h, --human', 'sizes in K, M, G (powers of 1024)')
    .option('--json', 'print JSON on stdout: { entries: [{ path, type, size, files }], total: { size, files } }')
    .action(withSession(async (ctx, uris: string[], o: DuOptions) => {
      const rows: DuRow[] = [];
      for (const uri of uris) {
        // a glob that matches a directory and files in it (`**`) counts them once
        for (const e of outermost(await matchLocations(ctx, uri, 'du'))) rows.push(...(await rowsOf(ctx, e, o.summary === true)));
      }
      const total = { size: rows.reduce((n, r) => n + r.size, 0), files: rows.reduce((n, r) => n + r.files, 0) };
      if (o.json) return io.out(JSON.stringify({ entries: rows, total }));
      const lines = [...rows.map((r) => [sizeText(r.size, o.human === true), r.path]), [sizeText(total.size, o.human === true), 'total']];
      const width = Math.max(...lines.map((l) => l[0]!.length));
      io.out(lines.map(([size, path]) => `${size!.padStart(width)}  ${path}`).join('\n'));
    }));
}
