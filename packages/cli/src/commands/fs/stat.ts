import { Command } from 'commander';
import { bsPath, wire } from '@mr/shared';
import type { Io } from '../../io.js';
import { isBs, notFound, statLocation } from '../../locations.js';
import { table } from '../../render/table.js';
import { withSession } from './session.js';

function statJson(uri: string, e: wire.FsEntry) {
  if (e.isDir) return { path: uri, type: 'directory' };
  return {
    path: uri, size: e.size, blockSize: e.blockSize, replication: e.replication, liveReplicationTarget: e.liveReplicationTarget,
    blocks: e.blocks.map((b) => ({ id: b.id, offset: b.offset, size: b.size, replicas: b.replicas.map((r) => r.nodeId) })),
  };
}

export function statCommand(io: Io): Command {
  return new Command('stat')
    .description('size of a file (bs://, s3:// or local); for bs://, its blocks and their replicas')
    .argument('<URI>')
    .option('--json', 'print JSON on stdout')
    .action(withSession(async (ctx, uri: string, o: { json?: boolean }) => {
      if (!isBs(uri)) {
        const e = await statLocation(ctx, uri);
        if (!e) throw notFound(uri, 'stat');
        return io.out(JSON.stringify({ path: e.uri, size: e.size, type: e.type === 'dir' ? 'directory' : 'file' }));
      }
      const e = await ctx.client().stat(bsPath(uri));
      if (o.json) return io.out(JSON.stringify(statJson(uri, e)));
      if (e.isDir) return io.out(`${uri}: directory`);
      const capped = e.liveReplicationTarget < e.replication ? ` (only ${e.liveReplicationTarget} live core workers: blocks are kept at ${e.liveReplicationTarget})` : '';
      io.out(`${uri}: ${e.size} bytes, ${e.blocks.length} blocks of ${e.blockSize}, replication ${e.replication}${capped}`);
      io.out(table(['BLOCK', 'OFFSET', 'SIZE', 'REPLICAS'], e.blocks.map((b) => [b.id, String(b.offset), String(b.size), b.replicas.map((r) => r.nodeId).join(',')])));
    }));
}
