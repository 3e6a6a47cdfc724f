import { describeFull, hasLeft, isFull } from './state.js';
import type { Action, FsDir, FsFile, FsOp, FsState, MasterEvent, MasterState, NodeInfo } from './types.js';

type Ev<K extends MasterEvent['kind']> = Extract<MasterEvent, { kind: K }>;

/**
 * The block store's namespace (issue 4; HDFS's NameNode in small): directories and write-once
 * files, each a list of blocks with their replicas on core workers. Pure like the rest of the
 * machine: requests come in as events and are answered by Reply actions; block copies and
 * deletions go out as actions.
 */
/** A copy not confirmed within this long is asked for again. */
const COPY_TIMEOUT_MS = 60_000;
/** At most this many block copies are started per tick (bounds the burst after a node dies). */
const COPIES_PER_TICK = 64;

class FsFail {
  constructor(readonly code: string, readonly message: string) {}
}

/** Checks and normalizes an absolute block-store path ("/a/b"). */
export function fsPath(p: string): string {
  if (typeof p !== 'string' || !p.startsWith('/')) throw new FsFail('MR_ERR_FS_BAD_PATH', `bs path '${p}' must be absolute`);
  if (p === '/') return p;
  const parts = p.replace(/\/+$/, '').split('/').slice(1);
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0')) {
      throw new FsFail('MR_ERR_FS_BAD_PATH', `bs path '${p}' has an empty, '.' or '..' segment`);
    }
  }
  return '/' + parts.join('/');
}

const parentOf = (p: string) => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const under = (p: string, dir: string) => (dir === '/' ? p !== '/' : p.startsWith(dir + '/'));

/** Visible entries (open files are not) directly under or anywhere under `dir`. */
export function fsChildren(fs: FsState, dir: string, recursive: boolean): (FsDir | FsFile)[] {
  const out: (FsDir | FsFile)[] = [];
  for (const e of fs.entries.values()) {
    if (!under(e.path, dir) || (e.kind === 'file' && e.open)) continue;
    if (recursive || parentOf(e.path) === dir) out.push(e);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A visible entry, or undefined. */
export function fsLookup(fs: FsState, path: string): FsDir | FsFile | undefined {
  const e = fs.entries.get(path);
  return e && !(e.kind === 'file' && e.open) ? e : undefined;
}

export function liveCores(s: MasterState): NodeInfo[] {
  return [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'ALIVE').sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * The replication a file actually gets: its own, capped by the live core workers (`cores`: their
 * count, when a caller going over many files has it already).
 */
export function liveReplicationTarget(s: MasterState, f: FsFile, cores = liveCores(s).length): number {
  return Math.min(f.replication, cores);
}

export function onFsRequest(s: MasterState, e: Ev<'FsRequest'>): Action[] {
  const actions: Action[] = [];
  try {
    const value = apply(s, e.op, e.nowMs, actions);
    actions.push({ kind: 'Reply', requestId: e.requestId, ok: true, value });
  } catch (err) {
    if (!(err instanceof FsFail)) throw err;
    actions.push({ kind: 'Reply', requestId: e.requestId, ok: false, code: err.code, message: err.message });
  }
  return actions;
}

function apply(s: MasterState, op: FsOp, nowMs: number, actions: Action[]): unknown {
  switch (op.op) {
    case 'mkdir':
      return mkdirs(s.fs, fsPath(op.path), nowMs);
    case 'create':
      return create(s, fsPath(op.path), op, nowMs, actions);
    case 'addBlock':
      return addBlock(s, fsPath(op.path), op);
    case 'blockDone':
      return blockDone(s, fsPath(op.path), op.blockId, op.size, op.replicas);
    case 'close': {
      const f = openFile(s.fs, fsPath(op.path));
      f.open = false;
      f.mtimeMs = nowMs;
      return f.path;
    }
    case 'abandon': {
      const path = fsPath(op.path);
      const f = s.fs.entries.get(path);
      if (f?.kind === 'file' && f.open) removeFile(s, f, actions);
      return path;
    }
    case 'rename':
      return fsRename(s, fsPath(op.src), fsPath(op.dst), nowMs);
    case 'delete':
      return fsDelete(s, fsPath(op.path), op.recursive, actions);
  }
}

function mkdirs(fs: FsState, path: string, nowMs: number): string {
  const existing = fs.entries.get(path);
  if (existing?.kind === 'dir') return path;
  if (existing) throw new FsFail('MR_ERR_FS_EXISTS', `bs://${path.slice(1)} exists and is a file`);
  mkdirs(fs, parentOf(path), nowMs);
  fs.entries.set(path, { kind: 'dir', path, mtimeMs: nowMs });
  return path;
}

function create(s: MasterState, path: string, op: Extract<FsOp, { op: 'create' }>, nowMs: number, actions: Action[]): string {
  if (liveCores(s).length === 0) throw new FsFail('MR_ERR_FS_NO_DATANODES', 'no live core worker to store blocks (start `mr worker --role core`)');
  const existing = s.fs.entries.get(path);
  if (existing?.kind === 'dir') throw new FsFail('MR_ERR_FS_IS_DIR', `bs://${path.slice(1)} is a directory`);
  if (existing) {
    if (!op.overwrite || existing.open) throw new FsFail('MR_ERR_FS_EXISTS', `bs://${path.slice(1)} already exists (files are write-once)`);
    removeFile(s, existing, actions);
  }
  const parent = s.fs.entries.get(parentOf(path));
  if (parent?.kind === 'file') throw new FsFail('MR_ERR_FS_NOT_DIR', `bs://${parentOf(path).slice(1)} is a file`);
  mkdirs(s.fs, parentOf(path), nowMs);
  const blockSize = op.blockSize > 0 ? op.blockSize : s.config.defaultBlockSize;
  const replication = op.replication > 0 ? op.replication : s.config.defaultReplication;
  s.fs.entries.set(path, { kind: 'file', path, size: 0, blockSize, replication, blocks: [], open: true, mtimeMs: nowMs });
  return path;
}

function openFile(fs: FsState, path: string): FsFile {
  const f = fs.entries.get(path);
  if (!f || f.kind !== 'file' || !f.open) throw new FsFail('MR_ERR_FS_NOT_FOUND', `bs://${path.slice(1)} is not a file being written`);
  return f;
}

/**
 * A new block and its pipeline: the writer's own node first when it is a core worker, then
 * round-robin, over live core workers with room (full ones, below --reserved-space, get no new
 * block). A writer whose block failed (a disk that filled up, a node gone) asks again with the
 * nodes that failed it excluded and the failed block replaced: the new one takes its offset.
 */
function addBlock(s: MasterState, path: string, op: Extract<FsOp, { op: 'addBlock' }>) {
  const clientNode = op.clientNode;
  const f = openFile(s.fs, path);
  if (op.replaces !== undefined) checkUnfinishedLast(s, f, op.replaces);
  const live = liveCores(s);
  if (live.length === 0) throw new FsFail('MR_ERR_FS_NO_DATANODES', 'no live core worker to store blocks');
  const excluded = new Set(op.exclude ?? []);
  const cores = live.filter((c) => !excluded.has(c.id) && !isFull(c));
  if (cores.length === 0) {
    const full = live.filter((c) => !excluded.has(c.id) && isFull(c));
    if (full.length > 0) throw new FsFail('MR_ERR_NO_SPACE', `no core worker has room for a new block: ${describeFull(full)}`);
    throw new FsFail('MR_ERR_FS_NO_DATANODES', `no other live core worker to write the block to (${[...excluded].join(', ')} failed it)`);
  }
  // (only now, when the request cannot fail any more: a refused one changes nothing)
  if (op.replaces !== undefined) {
    f.blocks.pop();
    s.fs.blocks.delete(op.replaces);
  }
  const n = Math.min(f.replication, cores.length);
  const id = `blk-${++s.fs.nextBlock}`;
  const start = s.fs.nextBlock % cores.length;
  const rotated = [...cores.slice(start), ...cores.slice(0, start)];
  const local = rotated.find((c) => c.id === clientNode);
  const targets = (local ? [local, ...rotated.filter((c) => c !== local)] : rotated).slice(0, n);
  s.fs.blocks.set(id, { id, path, offset: f.size, size: 0, replicas: [], copying: [] });
  f.blocks.push(id);
  return { id, offset: f.size, targets: targets.map((t) => ({ nodeId: t.id, address: t.address })) };
}

/** A block a writer replaces must be one that was never completed (its write failed), and the file's last. */
function checkUnfinishedLast(s: MasterState, f: FsFile, blockId: string): void {
  const b = s.fs.blocks.get(blockId);
  if (f.blocks[f.blocks.length - 1] !== blockId || !b || b.replicas.length > 0) {
    throw new FsFail('MR_ERR_FS_NOT_FOUND', `block ${blockId} is not an unfinished last block of bs://${f.path.slice(1)}`);
  }
}

function blockDone(s: MasterState, path: string, blockId: string, size: number, replicas: string[]): string {
  const f = openFile(s.fs, path);
  const b = s.fs.blocks.get(blockId);
  if (!b || b.path !== path) throw new FsFail('MR_ERR_FS_NOT_FOUND', `block ${blockId} is not part of bs://${path.slice(1)}`);
  b.size = size;
  b.replicas = replicas.filter((id) => s.nodes.has(id));
  let offset = 0;
  for (const id of f.blocks) {
    const blk = s.fs.blocks.get(id)!;
    blk.offset = offset;
    offset += blk.size;
  }
  f.size = offset;
  return blockId;
}

/** Atomic in the namespace: the entry and everything under it move at once. */
export function fsRename(s: MasterState, src: string, dst: string, nowMs: number): string {
  const e = fsLookup(s.fs, src);
  if (!e || src === '/') throw new FsFail('MR_ERR_FS_NOT_FOUND', `bs://${src.slice(1)} does not exist`);
  if (s.fs.entries.has(dst)) throw new FsFail('MR_ERR_FS_EXISTS', `bs://${dst.slice(1)} already exists`);
  if (under(dst, src)) throw new FsFail('MR_ERR_FS_BAD_PATH', `cannot move bs://${src.slice(1)} into itself`);
  const parent = s.fs.entries.get(parentOf(dst));
  if (parent?.kind === 'file') throw new FsFail('MR_ERR_FS_NOT_DIR', `bs://${parentOf(dst).slice(1)} is a file`);
  mkdirs(s.fs, parentOf(dst), nowMs);
  const moving = [e, ...[...s.fs.entries.values()].filter((x) => under(x.path, src))];
  for (const x of moving) s.fs.entries.delete(x.path);
  for (const x of moving) {
    const newPath = dst + x.path.slice(src.length);
    x.path = newPath;
    s.fs.entries.set(newPath, x);
    if (x.kind === 'file') for (const id of x.blocks) s.fs.blocks.get(id)!.path = newPath;
  }
  e.mtimeMs = nowMs;
  return dst;
}

export function fsDelete(s: MasterState, path: string, recursive: boolean, actions: Action[]): string {
  const e = fsLookup(s.fs, path);
  if (!e) throw new FsFail('MR_ERR_FS_NOT_FOUND', `bs://${path.slice(1)} does not exist`);
  if (path === '/') throw new FsFail('MR_ERR_FS_BAD_PATH', 'cannot remove bs:// itself');
  const inside = [...s.fs.entries.values()].filter((x) => under(x.path, path));
  if (e.kind === 'dir' && inside.length > 0 && !recursive) throw new FsFail('MR_ERR_FS_NOT_EMPTY', `bs://${path.slice(1)} is not empty (use -r)`);
  for (const x of [e, ...inside]) {
    if (x.kind === 'file') removeFile(s, x, actions);
    else s.fs.entries.delete(x.path);
  }
  return path;
}

/** Writes an empty, closed file (the job committer's _SUCCESS). */
export function fsTouch(s: MasterState, path: string, nowMs: number): void {
  mkdirs(s.fs, parentOf(path), nowMs);
  s.fs.entries.set(path, { kind: 'file', path, size: 0, blockSize: 1, replication: 1, blocks: [], open: false, mtimeMs: nowMs });
}

/** fsRename / fsDelete for the machine's own use (the job committer): a failure there is a bug. */
export function fsInternal<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FsFail) throw new Error(`invariant: namespace operation failed: ${e.message}`);
    throw e;
  }
}

function removeFile(s: MasterState, f: FsFile, actions: Action[]): void {
  const byNode = new Map<string, string[]>();
  for (const id of f.blocks) {
    const b = s.fs.blocks.get(id);
    if (!b) continue;
    for (const n of [...b.replicas, ...b.copying.map((c) => c.target)]) byNode.set(n, [...(byNode.get(n) ?? []), id]);
    s.fs.blocks.delete(id);
  }
  s.fs.entries.delete(f.path);
  for (const [nodeId, blockIds] of [...byNode].sort()) actions.push({ kind: 'DeleteBlocks', nodeId, blockIds });
}

// ---- replicas: reports, losses, corruption, re-replication ----

export function onBlockReport(s: MasterState, e: Ev<'BlockReport'>): Action[] {
  const actions: Action[] = [];
  const reported = new Set<string>();
  const orphans: string[] = [];
  for (const r of e.blocks) {
    const b = s.fs.blocks.get(r.id);
    if (!b) {
      orphans.push(r.id); // deleted while the node was away
      continue;
    }
    reported.add(r.id);
    if (!b.replicas.includes(e.nodeId)) b.replicas.push(e.nodeId);
  }
  for (const b of s.fs.blocks.values()) {
    if (b.replicas.includes(e.nodeId) && !reported.has(b.id) && s.fs.entries.get(b.path)?.kind === 'file' && !(s.fs.entries.get(b.path) as FsFile).open) {
      b.replicas = b.replicas.filter((n) => n !== e.nodeId);
    }
  }
  if (orphans.length > 0) actions.push({ kind: 'DeleteBlocks', nodeId: e.nodeId, blockIds: orphans });
  replicateBlocks(s, e.nowMs, actions);
  return actions;
}

export function onBlockReplicated(s: MasterState, e: Ev<'BlockReplicated'>): Action[] {
  const b = s.fs.blocks.get(e.blockId);
  if (!b) return e.ok ? [{ kind: 'DeleteBlocks', nodeId: e.targetNodeId, blockIds: [e.blockId] }] : [];
  // a failed copy keeps its entry until it times out: the next try waits (no tight retry loop)
  if (!e.ok) return [];
  b.copying = b.copying.filter((c) => c.target !== e.targetNodeId);
  const target = s.nodes.get(e.targetNodeId);
  if (target && !hasLeft(target) && !b.replicas.includes(e.targetNodeId)) b.replicas.push(e.targetNodeId);
  const actions: Action[] = [];
  replicateBlocks(s, e.nowMs, actions);
  return actions;
}

export function onBlockCorrupt(s: MasterState, e: Ev<'BlockCorrupt'>): Action[] {
  const b = s.fs.blocks.get(e.blockId);
  if (!b || !b.replicas.includes(e.nodeId)) return [];
  // the data node deleted the corrupt replica before reporting it, so a new copy may go back there
  b.replicas = b.replicas.filter((n) => n !== e.nodeId);
  s.fs.corruptReplicas++;
  const actions: Action[] = [];
  replicateBlocks(s, e.nowMs, actions);
  return actions;
}

/** Replicas of a core worker that left (DEAD or DECOMMISSIONED) no longer count (its block report restores them if it returns). */
export function fsNodeLost(s: MasterState, nodeId: string): void {
  for (const b of s.fs.blocks.values()) {
    if (b.replicas.includes(nodeId)) b.replicas = b.replicas.filter((n) => n !== nodeId);
    b.copying = b.copying.filter((c) => c.target !== nodeId);
  }
}

/**
 * Brings every closed file's blocks back to their live replication target: copies from a replica
 * (a draining one will do) to a live core worker that lacks one. Replicas on draining workers do
 * not count, so draining copies their blocks away first.
 */
export function replicateBlocks(s: MasterState, nowMs: number, actions: Action[]): void {
  const cores = liveCores(s);
  if (cores.length === 0) return;
  let started = 0;
  for (const b of s.fs.blocks.values()) {
    if (started >= COPIES_PER_TICK) return;
    const f = s.fs.entries.get(b.path);
    if (!f || f.kind !== 'file' || f.open) continue;
    b.copying = b.copying.filter((c) => nowMs - c.sinceMs < COPY_TIMEOUT_MS && s.nodes.get(c.target)?.state === 'ALIVE');
    const live = b.replicas.filter((n) => s.nodes.get(n)?.state === 'ALIVE');
    const sources = b.replicas.filter((n) => { const st = s.nodes.get(n)?.state; return st === 'ALIVE' || st === 'DECOMMISSIONING'; });
    let need = Math.min(f.replication, cores.length) - live.length - b.copying.length;
    if (need <= 0 || sources.length === 0) continue;
    const seq = Number(b.id.slice(4)) || 0;
    for (let i = 0; i < cores.length && need > 0; i++) {
      const dest = cores[(seq + i) % cores.length]!;
      if (isFull(dest) || b.replicas.includes(dest.id) || b.copying.some((c) => c.target === dest.id)) continue;
      const source = sources[(seq + i) % sources.length]!;
      actions.push({ kind: 'ReplicateBlock', nodeId: source, blockId: b.id, target: { nodeId: dest.id, address: dest.address } });
      b.copying.push({ target: dest.id, sinceMs: nowMs });
      need--;
      started++;
    }
  }
}

/** Whether a draining core worker still holds the only copies a block needs to stay at its target. */
export function holdsNeededBlocks(s: MasterState, nodeId: string): boolean {
  const cores = liveCores(s).length;
  for (const b of s.fs.blocks.values()) {
    if (!b.replicas.includes(nodeId)) continue;
    const f = s.fs.entries.get(b.path);
    if (!f || f.kind !== 'file') continue;
    const elsewhere = b.replicas.filter((n) => n !== nodeId && s.nodes.get(n)?.state === 'ALIVE').length;
    if (elsewhere < Math.min(f.replication, cores) || elsewhere === 0) return true;
  }
  return false;
}
