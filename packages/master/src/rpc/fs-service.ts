import { MrError, unaryHandler, type wire } from '@mr/shared';
import type { Driver } from '../driver/loop.js';
import { fsChildren, fsLookup, fsPath, liveReplicationTarget } from '../machine/fs.js';
import type { FsDir, FsFile, FsOp, MasterState } from '../machine/types.js';
import { readable } from '../views.js';

type FsHandlers = Pick<wire.MasterServer, 'fsMkdir' | 'fsCreate' | 'fsAddBlock' | 'fsBlockDone' | 'fsClose' | 'fsAbandon' | 'fsStat' | 'fsList' | 'fsRename' | 'fsDelete' | 'fsReportCorrupt'>;

/** A block-store entry as the wire shows it; replicas on live (or draining) workers only: the ones a reader can get. */
export function toWireEntry(s: MasterState, e: FsDir | FsFile, withBlocks: boolean): wire.FsEntry {
  if (e.kind === 'dir') {
    return { path: e.path, isDir: true, size: 0, blockSize: 0, replication: 0, mtimeMs: e.mtimeMs, blocks: [], liveReplicationTarget: 0, open: false };
  }
  const blocks = withBlocks
    ? e.blocks.map((id) => {
        const b = s.fs.blocks.get(id)!;
        const replicas = b.replicas
          .map((n) => s.nodes.get(n))
          .filter((n) => n !== undefined && readable(n))
          .map((n) => ({ nodeId: n!.id, address: n!.address }));
        return { id, offset: b.offset, size: b.size, replicas };
      })
    : [];
  return {
    path: e.path, isDir: false, size: e.size, blockSize: e.blockSize, replication: e.replication, mtimeMs: e.mtimeMs, blocks,
    liveReplicationTarget: liveReplicationTarget(s, e), open: e.open,
  };
}

function lookup(s: MasterState, raw: string): FsDir | FsFile {
  let path: string;
  try {
    path = fsPath(raw);
  } catch (e) {
    throw new MrError('MR_ERR_FS_BAD_PATH', (e as { message: string }).message);
  }
  const e = fsLookup(s.fs, path);
  if (!e) throw new MrError('MR_ERR_FS_NOT_FOUND', `bs://${path.slice(1)} does not exist`);
  return e;
}

/** The namespace RPCs: mutations are machine events answered by Reply; reads look at the state. */
export function fsService(driver: Driver): FsHandlers {
  const unary = unaryHandler;
  const s = () => driver.state;
  const entry = async (op: FsOp, withBlocks = false) => {
    const path = await driver.request<string>(op);
    const e = s().fs.entries.get(path)!;
    return toWireEntry(s(), e, withBlocks);
  };
  return {
    fsMkdir: unary((r: wire.FsPath) => entry({ op: 'mkdir', path: r.path })),
    fsCreate: unary((r: wire.FsCreateRequest) => entry({ op: 'create', path: r.path, blockSize: r.blockSize, replication: r.replication, overwrite: r.overwrite })),
    fsAddBlock: unary(async (r: wire.FsAddBlockRequest) => {
      const b = await driver.request<{ id: string; offset: number; targets: wire.NodeAddress[] }>({
        op: 'addBlock', path: r.path, ...(r.clientNode ? { clientNode: r.clientNode } : {}),
        ...(r.excludeNodes.length > 0 ? { exclude: r.excludeNodes } : {}), ...(r.replacesBlock ? { replaces: r.replacesBlock } : {}),
      });
      return { id: b.id, offset: b.offset, size: 0, replicas: b.targets };
    }),
    fsBlockDone: unary(async (r: wire.FsBlockWritten) => {
      await driver.request({ op: 'blockDone', path: r.path, blockId: r.blockId, size: r.size, replicas: r.replicas });
      return {};
    }),
    fsClose: unary((r: wire.FsPath) => entry({ op: 'close', path: r.path })),
    fsAbandon: unary(async (r: wire.FsPath) => {
      await driver.request({ op: 'abandon', path: r.path });
      return {};
    }),
    fsRename: unary(async (r: wire.FsRenameRequest) => entry({ op: 'rename', src: r.src, dst: r.dst })),
    fsDelete: unary(async (r: wire.FsPath) => {
      await driver.request({ op: 'delete', path: r.path, recursive: r.recursive });
      return {};
    }),
    fsStat: unary((r: wire.FsPath) => toWireEntry(s(), lookup(s(), r.path), true)),
    fsList: unary((r: wire.FsPath) => {
      const e = lookup(s(), r.path);
      const entries = e.kind === 'dir' ? fsChildren(s().fs, e.path, r.recursive) : [e];
      return { entries: entries.map((x) => toWireEntry(s(), x, r.recursive)) };
    }),
    fsReportCorrupt: unary(async (r: wire.FsCorruptReport) => {
      await driver.dispatch({ kind: 'BlockCorrupt', nodeId: r.nodeId, blockId: r.blockId, nowMs: driver.clock.nowMs() });
      return {};
    }),
  };
}
