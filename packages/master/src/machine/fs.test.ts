import { describe, expect, it } from 'vitest';
import { initialState } from './state.js';
import { step } from './step.js';
import type { Action, FsOp, MasterState } from './types.js';

function cluster(cores: number): MasterState {
  const s = initialState();
  for (let i = 1; i <= cores; i++) step(s, { kind: 'NodeRegistered', nodeId: `core-${i}`, role: 'core', address: `c${i}:1`, slots: 1, running: [], mapOutputs: [], nowMs: 0 });
  return s;
}

let req = 0;
function fs(s: MasterState, op: FsOp, nowMs = 1): { reply: Extract<Action, { kind: 'Reply' }>; actions: Action[] } {
  const { actions } = step(s, { kind: 'FsRequest', requestId: ++req, op, nowMs });
  return { reply: actions.find((a): a is Extract<Action, { kind: 'Reply' }> => a.kind === 'Reply')!, actions };
}
const ok = (r: ReturnType<typeof fs>) => {
  if (!r.reply.ok) throw new Error(r.reply.message);
  return r.reply.value;
};
const err = (r: ReturnType<typeof fs>) => (r.reply.ok ? 'ok' : r.reply.code);

/** Writes a closed file of `blocks` blocks of 10 bytes, replicas as the pipeline would report them. */
function write(s: MasterState, path: string, blocks: number, replication = 3): string[] {
  ok(fs(s, { op: 'create', path, blockSize: 10, replication, overwrite: false }));
  const ids: string[] = [];
  for (let i = 0; i < blocks; i++) {
    const b = ok(fs(s, { op: 'addBlock', path })) as { id: string; targets: { nodeId: string }[] };
    ok(fs(s, { op: 'blockDone', path, blockId: b.id, size: 10, replicas: b.targets.map((t) => t.nodeId) }));
    ids.push(b.id);
  }
  ok(fs(s, { op: 'close', path }));
  return ids;
}

describe('block store namespace (pure, issue 4)', () => {
  it('write-once files, visible only after close; parents are created; paths are checked', () => {
    const s = cluster(3);
    ok(fs(s, { op: 'create', path: '/a/b/f', blockSize: 10, replication: 0, overwrite: false }));
    expect(s.fs.entries.get('/a/b')?.kind).toBe('dir');
    expect(err(fs(s, { op: 'create', path: '/a/b/f', blockSize: 10, replication: 0, overwrite: false }))).toBe('MR_ERR_FS_EXISTS');
    ok(fs(s, { op: 'close', path: '/a/b/f' }));
    expect(err(fs(s, { op: 'create', path: '/a/b/f', blockSize: 10, replication: 0, overwrite: false }))).toBe('MR_ERR_FS_EXISTS');
    expect(err(fs(s, { op: 'create', path: '/a/../x', blockSize: 10, replication: 0, overwrite: false }))).toBe('MR_ERR_FS_BAD_PATH');
    expect(err(fs(s, { op: 'create', path: 'rel', blockSize: 10, replication: 0, overwrite: false }))).toBe('MR_ERR_FS_BAD_PATH');
    expect(err(fs(s, { op: 'create', path: '/a/b/f/g', blockSize: 10, replication: 0, overwrite: false }))).toBe('MR_ERR_FS_NOT_DIR');
    expect(err(fs(s, { op: 'mkdir', path: '/a/b/f' }))).toBe('MR_ERR_FS_EXISTS');
  });

  it('blocks go to distinct live cores, the writer first; replication is capped by live cores', () => {
    const s = cluster(2);
    ok(fs(s, { op: 'create', path: '/f', blockSize: 10, replication: 3, overwrite: false }));
    const b = ok(fs(s, { op: 'addBlock', path: '/f', clientNode: 'core-2' })) as { targets: { nodeId: string }[] };
    expect(b.targets.map((t) => t.nodeId)).toEqual(['core-2', 'core-1']);
    expect(err(fs(cluster(0), { op: 'create', path: '/g', blockSize: 10, replication: 1, overwrite: false }))).toBe('MR_ERR_FS_NO_DATANODES');
  });

  it('full core workers (below --reserved-space, from their heartbeat) get no new block; a failed block is replaced elsewhere (issue 15)', () => {
    const s = cluster(3);
    const disk = (nodeId: string, full: boolean) => step(s, { kind: 'Heartbeat', nodeId, running: [], progress: [], disk: { freeBytes: full ? 1 : 1 << 30, reservedBytes: 1 << 20, full }, nowMs: 1 });
    disk('core-1', true);
    ok(fs(s, { op: 'create', path: '/f', blockSize: 10, replication: 3, overwrite: false }));
    // the writer's own node is full: it is skipped, and replication is capped by the cores with room
    const b = ok(fs(s, { op: 'addBlock', path: '/f', clientNode: 'core-1' })) as { id: string; targets: { nodeId: string }[] };
    expect(b.targets.map((t) => t.nodeId).sort()).toEqual(['core-2', 'core-3']);
    // its write failed on core-2: the block is replaced, in place, by one that avoids core-2
    const again = ok(fs(s, { op: 'addBlock', path: '/f', exclude: ['core-2'], replaces: b.id })) as { id: string; offset: number; targets: { nodeId: string }[] };
    expect(again.targets.map((t) => t.nodeId)).toEqual(['core-3']);
    expect(again.offset).toBe(0);
    expect((s.fs.entries.get('/f') as { blocks: string[] }).blocks).toEqual([again.id]);
    expect(s.fs.blocks.has(b.id)).toBe(false);
    // nowhere left: the excluded one failed it, the others are full
    disk('core-3', true);
    expect(err(fs(s, { op: 'addBlock', path: '/f', exclude: ['core-2'], replaces: again.id }))).toBe('MR_ERR_NO_SPACE');
    expect((s.fs.entries.get('/f') as { blocks: string[] }).blocks).toEqual([again.id]); // a refused request changes nothing
    expect(fs(s, { op: 'addBlock', path: '/f', exclude: ['core-2'] }).reply).toMatchObject({ message: expect.stringMatching(/^no core worker has room for a new block: core-1 \(0\.0 MiB free, --reserved-space 1\.0 MiB\), core-3/) });
    // room again (its next heartbeat): it takes blocks again
    disk('core-1', false);
    expect((ok(fs(s, { op: 'addBlock', path: '/f', exclude: ['core-2'], replaces: again.id })) as { targets: { nodeId: string }[] }).targets.map((t) => t.nodeId)).toEqual(['core-1']);
  });

  it('rename moves a directory and its files atomically; delete needs -r for a non-empty directory', () => {
    const s = cluster(3);
    const ids = write(s, '/d/x/f', 2);
    ok(fs(s, { op: 'rename', src: '/d', dst: '/e/d2' }));
    expect([...s.fs.entries.keys()].sort()).toEqual(['/', '/e', '/e/d2', '/e/d2/x', '/e/d2/x/f']);
    expect(ids.map((id) => s.fs.blocks.get(id)!.path)).toEqual(['/e/d2/x/f', '/e/d2/x/f']);
    expect(err(fs(s, { op: 'rename', src: '/e', dst: '/e/d2/inside' }))).toBe('MR_ERR_FS_BAD_PATH');
    expect(err(fs(s, { op: 'delete', path: '/e', recursive: false }))).toBe('MR_ERR_FS_NOT_EMPTY');
    const del = fs(s, { op: 'delete', path: '/e', recursive: true });
    expect(del.reply.ok).toBe(true);
    // every replica of every block is told to go
    const deletes = del.actions.filter((a) => a.kind === 'DeleteBlocks');
    expect(deletes.map((a) => a.nodeId).sort()).toEqual(['core-1', 'core-2', 'core-3']);
    expect(s.fs.blocks.size).toBe(0);
  });

  it('a dead core: its replicas stop counting and copies are made to a live core lacking one', () => {
    const s = cluster(4);
    const ids = write(s, '/f', 3, 3);
    const holder = s.fs.blocks.get(ids[0]!)!.replicas[0]!;
    const { actions } = step(s, { kind: 'NodeDisconnected', nodeId: holder, nowMs: 5 });
    const copies = actions.filter((a): a is Extract<Action, { kind: 'ReplicateBlock' }> => a.kind === 'ReplicateBlock');
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const b = s.fs.blocks.get(c.blockId)!;
      expect(b.replicas).not.toContain(holder);
      expect(b.replicas).not.toContain(c.target.nodeId);
      expect(b.replicas).toContain(c.nodeId);
      step(s, { kind: 'BlockReplicated', nodeId: c.nodeId, blockId: c.blockId, targetNodeId: c.target.nodeId, ok: true, nowMs: 6 });
    }
    for (const id of ids) expect(s.fs.blocks.get(id)!.replicas).toHaveLength(3);
    // nothing more to do on the next tick
    expect(step(s, { kind: 'Tick', nowMs: 7 }).actions.filter((a) => a.kind === 'ReplicateBlock')).toEqual([]);
  });

  it('a corrupt replica is dropped and replaced; a block report restores and cleans up', () => {
    const s = cluster(3);
    const [id] = write(s, '/f', 1, 2);
    const b = s.fs.blocks.get(id!)!;
    const bad = b.replicas[0]!;
    const { actions } = step(s, { kind: 'BlockCorrupt', nodeId: bad, blockId: id!, nowMs: 3 });
    expect(s.fs.corruptReplicas).toBe(1);
    expect(actions.filter((a) => a.kind === 'ReplicateBlock')).toHaveLength(1);
    const report = step(s, { kind: 'BlockReport', nodeId: 'core-3', blocks: [{ id: 'blk-999', size: 1 }], nowMs: 4 });
    expect(report.actions).toContainEqual({ kind: 'DeleteBlocks', nodeId: 'core-3', blockIds: ['blk-999'] });
  });

  it('a draining core worker is released only once its blocks have their copies elsewhere', () => {
    const s = cluster(4);
    const ids = write(s, '/f', 4, 2);
    const node = s.fs.blocks.get(ids[0]!)!.replicas[0]!;
    const drain = step(s, { kind: 'DrainRequested', nodeId: node, nowMs: 10 }).actions;
    expect(drain.filter((a) => a.kind === 'Release')).toEqual([]);
    const copies = drain.filter((a): a is Extract<Action, { kind: 'ReplicateBlock' }> => a.kind === 'ReplicateBlock');
    const mine = ids.filter((id) => s.fs.blocks.get(id)!.replicas.includes(node));
    expect(copies.map((c) => c.blockId).sort()).toEqual(mine.sort());
    let released: Action[] = [];
    for (const c of copies) {
      expect(c.target.nodeId).not.toBe(node);
      released = step(s, { kind: 'BlockReplicated', nodeId: c.nodeId, blockId: c.blockId, targetNodeId: c.target.nodeId, ok: true, nowMs: 11 }).actions;
    }
    expect(released).toContainEqual({ kind: 'Release', nodeId: node });
  });
});
