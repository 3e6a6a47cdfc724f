import type { Attempt, Job, MachineConfig, MasterState, NodeInfo, Task } from './types.js';

export const DEFAULT_MACHINE_CONFIG: MachineConfig = {
  heartbeatTimeoutMs: 5_000, recoveryGraceMs: 10_000, noCoreGraceMs: 30_000, defaultBlockSize: 64 * 1024 * 1024, defaultReplication: 3,
};

export function initialState(config: Partial<MachineConfig> = {}): MasterState {
  return {
    config: { ...DEFAULT_MACHINE_CONFIG, ...config },
    nodes: new Map(),
    jobs: new Map(),
    jobOrder: [],
    attempts: new Map(),
    shuffleCursor: 0,
    fs: { entries: new Map([['/', { kind: 'dir', path: '/', mtimeMs: 0 }]]), blocks: new Map(), nextBlock: 0, corruptReplicas: 0 },
  };
}

/** Programmer errors crash (style.md: assert invariants); operating errors are events. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`invariant: ${message}`);
}

export function getJob(s: MasterState, jobId: string): Job {
  const job = s.jobs.get(jobId);
  assert(job, `unknown job ${jobId}`);
  return job;
}

export function taskOf(job: Job, taskId: string): Task {
  const kind = taskId[0];
  const index = Number(taskId.slice(2));
  const task = kind === 'm' ? job.maps[index] : job.reduces[index];
  assert(task && task.id === taskId, `unknown task ${taskId} in ${job.id}`);
  return task;
}

export function taskId(kind: 'map' | 'reduce', index: number): string {
  return `${kind === 'map' ? 'm' : 'r'}-${String(index).padStart(5, '0')}`;
}

export function freeSlots(n: NodeInfo): number {
  return n.state === 'ALIVE' && !n.awaitingSession ? n.slots - n.running.length : 0;
}

export function aliveCores(s: MasterState): NodeInfo[] {
  return [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'ALIVE');
}

/** Detaches a finished or lost attempt from its node's running list. */
export function releaseSlot(s: MasterState, a: Attempt): void {
  const node = s.nodes.get(a.nodeId);
  if (!node) return;
  const i = node.running.indexOf(a.id);
  if (i >= 0) node.running.splice(i, 1);
}

export function addCounter(counters: Record<string, number>, name: string, n: number): void {
  counters[name] = (counters[name] ?? 0) + n;
}
