import type { Job, MasterState, NodeInfo } from './machine/types.js';

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
}

export function nodeView(n: NodeInfo): NodeView {
  return { id: n.id, role: n.role, address: n.address, state: n.state, slots: n.slots, runningTasks: n.running.length, lastHeartbeatMs: n.lastHeartbeatMs };
}

/** The block store at a glance (status page, /api/blockstore). */
export interface BlockStoreView {
  files: number;
  directories: number;
  bytes: number;
  blocks: number;
  /** Blocks of closed files with fewer live replicas than their target (capped by live core workers). */
  underReplicatedBlocks: number;
  /** Blocks with no live replica at all. */
  missingBlocks: number;
  /** Replicas found corrupt (and replaced) since the namespace began. */
  corruptReplicas: number;
}

export function blockStoreView(s: MasterState): BlockStoreView {
  const cores = [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'ALIVE').length;
  const v: BlockStoreView = { files: 0, directories: 0, bytes: 0, blocks: 0, underReplicatedBlocks: 0, missingBlocks: 0, corruptReplicas: s.fs.corruptReplicas };
  for (const e of s.fs.entries.values()) {
    if (e.kind === 'dir') {
      if (e.path !== '/') v.directories++;
      continue;
    }
    if (e.open) continue;
    v.files++;
    v.bytes += e.size;
    for (const id of e.blocks) {
      const live = s.fs.blocks.get(id)!.replicas.filter((n) => s.nodes.get(n)?.state === 'ALIVE').length;
      v.blocks++;
      if (live === 0) v.missingBlocks++;
      else if (live < Math.min(e.replication, cores)) v.underReplicatedBlocks++;
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
