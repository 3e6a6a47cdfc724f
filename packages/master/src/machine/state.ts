import type { Attempt, Job, MachineConfig, MasterState, NodeInfo, PhaseProgress, Task, TaskKind, TaskState } from './types.js';

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

/** DEAD or DECOMMISSIONED: the node has left; it holds and runs nothing until it registers again. */
export function hasLeft(n: NodeInfo): boolean {
  return n.state === 'DEAD' || n.state === 'DECOMMISSIONED';
}

export function freeSlots(n: NodeInfo): number {
  return n.state === 'ALIVE' && !n.awaitingSession ? n.slots - n.running.length : 0;
}

export function aliveCores(s: MasterState): NodeInfo[] {
  return [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'ALIVE');
}

/**
 * Where running jobs' map outputs may go: the live core workers or, when every one of them is
 * draining, those (not yet released). The last core worker of a cluster then keeps the shuffle of
 * the jobs that were running when its drain began, and is released once they end (within its
 * --drain-timeout): a running job finishes rather than fail for want of a core worker. No new job is
 * accepted meanwhile (submit needs a live one).
 */
export function shuffleCores(s: MasterState): NodeInfo[] {
  const alive = aliveCores(s);
  return alive.length > 0 ? alive : [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'DECOMMISSIONING' && !n.released);
}

/** A core worker below its --reserved-space (as its last heartbeat said) takes no new blocks or map outputs. */
export function isFull(n: NodeInfo): boolean {
  return n.disk?.full === true;
}

/** `core-1 (1.2 MiB free, --reserved-space 1.6 MiB)`, for messages about full core workers. */
export function describeFull(nodes: NodeInfo[]): string {
  const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return nodes.map((n) => `${n.id} (${mib(n.disk?.freeBytes ?? 0)} free, --reserved-space ${mib(n.disk?.reservedBytes ?? 0)})`).join(', ');
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

/** The job's per-phase task counts (built from its tasks the first time). */
export function phaseProgress(job: Job, kind: TaskKind): PhaseProgress {
  if (!job.progress) {
    const of = (tasks: Task[]): PhaseProgress => ({
      succeeded: tasks.filter((t) => t.state === 'SUCCEEDED').length,
      pending: tasks.filter((t) => t.state === 'PENDING').length,
      scanFrom: 0,
    });
    job.progress = { map: of(job.maps), reduce: of(job.reduces) };
  }
  return job.progress[kind];
}

/** Every change of a task's state goes through here, so the counts stay true. */
export function setTaskState(job: Job, task: Task, state: TaskState): void {
  if (task.state === state) return;
  const p = phaseProgress(job, task.kind);
  if (task.state === 'SUCCEEDED') p.succeeded--;
  if (task.state === 'PENDING') p.pending--;
  if (state === 'SUCCEEDED') p.succeeded++;
  if (state === 'PENDING') {
    p.pending++;
    if (task.index < p.scanFrom) p.scanFrom = task.index;
  }
  task.state = state;
}

export function phaseDone(job: Job, kind: TaskKind): boolean {
  return phaseProgress(job, kind).succeeded === (kind === 'map' ? job.maps.length : job.reduces.length);
}

/** The phase's PENDING tasks in index order, from the scan hint (which moves past the others). */
export function* pendingTasks(job: Job, kind: TaskKind): Generator<Task> {
  const p = phaseProgress(job, kind);
  if (p.pending === 0) return;
  const tasks = kind === 'map' ? job.maps : job.reduces;
  let advancing = true;
  for (let i = p.scanFrom; i < tasks.length; i++) {
    const t = tasks[i]!;
    if (t.state !== 'PENDING') {
      if (advancing) p.scanFrom = i + 1;
      continue;
    }
    advancing = false;
    yield t;
  }
}

/** The reduce task of a gathering job that the others hand their output to (JobDefinition.gather). */
export function isGatherTask0(job: Job, task: Task): boolean {
  return job.spec.gather === true && task.kind === 'reduce' && task.index === 0;
}

/**
 * A gathering job's reduce task 0 while tasks 1..R-1 are not all done. It runs alongside them
 * (reducing its own keys), and its attempts get what the others emitted when the last of them
 * succeeds (SendGathered): meanwhile an attempt may be waiting for it, which is neither slow
 * (no backup) nor stuck (no task timeout).
 */
export function awaitsGathered(job: Job, task: Task): boolean {
  if (!isGatherTask0(job, task)) return false;
  return job.reduces.some((t) => t.index > 0 && t.state !== 'SUCCEEDED');
}

/**
 * A gathering job's task 0 launches only once tasks 1..R-1 have all started: waiting for them it
 * holds a slot, so what it waits for must already have one (with one slot, task 0 first would wait
 * forever). A re-run of one of them gets the slot its failure freed.
 */
export function gatherHeldBack(job: Job, task: Task): boolean {
  if (!isGatherTask0(job, task)) return false;
  return job.reduces.some((t) => t.index > 0 && t.state === 'PENDING');
}

/** What reduce tasks 1..R-1 of a gathering job emitted (JSON pairs), in task order. */
export function gatheredRows(job: Job): string[] {
  return job.reduces.flatMap((t) => t.gathered ?? []);
}
