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

export function listJobs(s: MasterState, nowMs: number): JobView[] {
  return s.jobOrder.map((id) => jobView(s.jobs.get(id)!, nowMs));
}

export function listNodes(s: MasterState): NodeView[] {
  return [...s.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(nodeView);
}
