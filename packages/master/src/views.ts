import { liveCores, liveReplicationTarget } from './machine/fs.js';
import type { Attempt, FsFile, Job, MasterState, NodeInfo, Task } from './machine/types.js';

/** contract.md "Status JSON", as plain data (the RPC and HTTP adapters render it). */
export interface JobView {
  id: string;
  name: string;
  state: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'KILLED';
  error?: string;
  counters: Record<string, number>;
  startedAt: string;
  finishedAt?: string;
  elapsedMs: number;
  progress: { mapsDone: number; mapsTotal: number; reducesDone: number; reducesTotal: number };
}

export function jobView(job: Job, nowMs: number): JobView {
  const done = (ts: Job['maps']) => ts.filter((t) => t.state === 'SUCCEEDED').length;
  const end = job.finishedMs ?? nowMs;
  return {
    id: job.id,
    name: job.spec.name,
    // COMMITTING is internal: to users the job is still running until _SUCCESS is written
    state: job.state === 'COMMITTING' ? 'RUNNING' : job.state,
    ...(job.error !== undefined ? { error: job.error } : {}),
    counters: { ...job.counters },
    startedAt: new Date(job.submittedMs).toISOString(),
    ...(job.finishedMs !== undefined ? { finishedAt: new Date(job.finishedMs).toISOString() } : {}),
    elapsedMs: Math.max(0, end - job.submittedMs),
    progress: { mapsDone: done(job.maps), mapsTotal: job.maps.length, reducesDone: done(job.reduces), reducesTotal: job.reduces.length },
  };
}

export interface NodeView {
  id: string;
  role: NodeInfo['role'];
  address: string;
  state: NodeInfo['state'];
  slots: number;
  runningTasks: number;
  lastHeartbeatMs: number;
  /** Core workers: their disk as last reported (full: below --reserved-space, takes no new blocks or map outputs). */
  disk?: { freeBytes: number; reservedBytes: number; full: boolean };
}

export function nodeView(n: NodeInfo): NodeView {
  return {
    id: n.id, role: n.role, address: n.address, state: n.state, slots: n.slots, runningTasks: n.running.length, lastHeartbeatMs: n.lastHeartbeatMs,
    ...(n.disk ? { disk: { ...n.disk } } : {}),
  };
}

/** The block store at a glance (status page, /api/blockstore). */
export interface BlockStoreView {
  files: number;
  directories: number;
  bytes: number;
  blocks: number;
  /** Blocks of closed files with fewer live replicas than their target (capped by live core workers). */
  underReplicatedBlocks: number;
  /** Blocks no reader can get: no replica on a live or decommissioning worker. */
  missingBlocks: number;
  /**
   * Blocks whose only replicas are on DECOMMISSIONING workers: still readable (they serve reads
   * until they leave), lost if they leave before a live core worker gets a copy.
   */
  decommissioningOnlyBlocks: number;
  /** Replicas found corrupt (and replaced) since the namespace began. */
  corruptReplicas: number;
}

/** Replicas of a block on live nodes. */
function liveReplicas(s: MasterState, blockId: string): number {
  return s.fs.blocks.get(blockId)!.replicas.filter((n) => s.nodes.get(n)?.state === 'ALIVE').length;
}

/** Whether readers are sent to a replica on this node: a draining worker serves reads until it leaves. */
export function readable(n: NodeInfo): boolean {
  return n.state === 'ALIVE' || n.state === 'DECOMMISSIONING';
}

export function blockStoreView(s: MasterState): BlockStoreView {
  const cores = liveCores(s).length;
  const v: BlockStoreView = {
    files: 0, directories: 0, bytes: 0, blocks: 0, underReplicatedBlocks: 0, missingBlocks: 0, decommissioningOnlyBlocks: 0, corruptReplicas: s.fs.corruptReplicas,
  };
  for (const e of s.fs.entries.values()) {
    if (e.kind === 'dir') {
      if (e.path !== '/') v.directories++;
      continue;
    }
    if (e.open) continue;
    v.files++;
    v.bytes += e.size;
    const target = liveReplicationTarget(s, e, cores);
    for (const id of e.blocks) {
      const live = liveReplicas(s, id);
      v.blocks++;
      // the same test as the replicas `mr fs cat` is given (rpc/fs-service.ts): missing means unreadable
      if (live === 0) {
        if (s.fs.blocks.get(id)!.replicas.some((n) => { const node = s.nodes.get(n); return node !== undefined && readable(node); })) v.decommissioningOnlyBlocks++;
        else v.missingBlocks++;
      } else if (live < target) v.underReplicatedBlocks++;
    }
  }
  return v;
}

export function listJobs(s: MasterState, nowMs: number): JobView[] {
  return s.jobOrder.map((id) => jobView(s.jobs.get(id)!, nowMs));
}

export function listNodes(s: MasterState): NodeView[] {
  return [...s.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(nodeView);
}

/** One attempt on the web UI's job page and in /api/jobs/ID. */
export interface AttemptView {
  id: string;
  number: number;
  nodeId: string;
  state: Attempt['state'];
  speculative: boolean;
  startedAt: string;
  durationMs: number;
  error?: string;
}

export interface TaskView {
  id: string;
  kind: Task['kind'];
  index: number;
  state: Task['state'];
  /** FAILED or KILLED: why the task did not finish (its job ended). */
  error?: string;
  /** The input split of a map task (`uri@start+length`). */
  split?: string;
  attempts: AttemptView[];
}

/** A job with every task and attempt (the job page, /api/jobs/ID). */
export interface JobDetailView extends JobView {
  inputs: string[];
  output: string;
  reducers: number;
  tasks: TaskView[];
}

export function jobDetailView(s: MasterState, job: Job, nowMs: number): JobDetailView {
  const attempt = (id: string): AttemptView => {
    const a = s.attempts.get(id)!;
    return {
      id: a.id, number: a.number, nodeId: a.nodeId, state: a.state, speculative: a.speculative,
      startedAt: new Date(a.startedMs).toISOString(), durationMs: Math.max(0, (a.finishedMs ?? nowMs) - a.startedMs),
      ...(a.error !== undefined ? { error: a.error } : {}),
    };
  };
  const task = (t: Task): TaskView => ({
    id: t.id, kind: t.kind, index: t.index, state: t.state,
    ...(t.error !== undefined ? { error: t.error } : {}),
    ...(t.split ? { split: `${t.split.uri}@${t.split.start}+${t.split.length}` } : {}),
    attempts: t.attempts.filter((id) => s.attempts.has(id)).map(attempt),
  });
  return {
    ...jobView(job, nowMs),
    inputs: job.spec.inputs, output: job.spec.output, reducers: job.spec.numReducers,
    tasks: [...job.maps, ...job.reduces].map(task),
  };
}

/** A node on the web UI and /api/nodes: what `mr nodes` shows, plus what it runs and stores. */
export interface NodeDetailView extends NodeView {
  runningAttempts: string[];
  /** Core workers: bytes of block-store replicas they hold (shuffle data is not counted). */
  storedBytes?: number;
  storedBlocks?: number;
}

export function listNodeDetails(s: MasterState): NodeDetailView[] {
  const stored = new Map<string, { bytes: number; blocks: number }>();
  for (const b of s.fs.blocks.values()) for (const n of b.replicas) {
    const v = stored.get(n) ?? { bytes: 0, blocks: 0 };
    v.bytes += b.size;
    v.blocks++;
    stored.set(n, v);
  }
  return listNodes(s).map((v) => {
    const n = s.nodes.get(v.id)!;
    const st = stored.get(v.id);
    return {
      ...v, runningAttempts: [...n.running],
      ...(n.role === 'core' ? { storedBytes: st?.bytes ?? 0, storedBlocks: st?.blocks ?? 0 } : {}),
    };
  });
}

/** Block-store files for the UI's block store page (closed files, path order). */
export interface FileView {
  path: string;
  size: number;
  replication: number;
  blocks: number;
  /** Fewest live replicas of any of its blocks. */
  minLiveReplicas: number;
  /** Replicas each block should have now: the file's replication, capped by live core workers. */
  target: number;
}

export function listFiles(s: MasterState, limit: number): { files: FileView[]; total: number } {
  const files: FileView[] = [];
  let total = 0;
  const cores = liveCores(s).length;
  const paths = [...s.fs.entries.values()].filter((e): e is FsFile => e.kind === 'file' && !e.open).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of paths) {
    total++;
    if (files.length >= limit) continue;
    const min = e.blocks.reduce((m, id) => Math.min(m, liveReplicas(s, id)), Infinity);
    files.push({
      path: `bs://${e.path.replace(/^\//, '')}`, size: e.size, replication: e.replication, blocks: e.blocks.length,
      minLiveReplicas: e.blocks.length === 0 ? 0 : min, target: liveReplicationTarget(s, e, cores),
    });
  }
  return { files, total };
}
