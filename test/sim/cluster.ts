/**
 * A seeded simulated cluster over the master's pure machine (style.md: tigerbeetle's VOPR idea).
 * Nodes, attempts and crashes are events in a priority queue ordered by simulated time; the
 * checker runs after every step. A failing run prints MR_SIM_SEED=... to reproduce it.
 */
import { initialState, step, type Action, type MasterEvent, type MasterState, type JobSpec, type Split } from '../../packages/master/src/index.js';
import { checkInvariants } from './invariants.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  seed: number;
  cores: number;
  tasks: number;
  slots: number;
  jobs: { maps: number; reducers: number }[];
  /** Probability per attempt that user code throws. */
  failRate?: number;
  /** Probability per second that a given task worker crashes (and restarts 2 s later). */
  crashRatePerSec?: number;
  speculation?: boolean;
  maxSimMs?: number;
}

interface Pending {
  at: number;
  seq: number;
  event: MasterEvent | { kind: 'Restart'; nodeId: string };
}

export interface SimResult {
  state: MasterState;
  nowMs: number;
  steps: number;
  launches: Map<string, number>;
  actions: Action[];
}

export function simulate(o: SimOptions): SimResult {
  const rand = rng(o.seed);
  const s = initialState({ heartbeatTimeoutMs: 5_000 });
  const queue = new MinHeap<Pending>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  const push = (at: number, event: Pending['event']) => {
    queue.push({ at, seq: seq++, event });
  };
  const alive = new Map<string, boolean>();
  const running = new Map<string, Set<string>>(); // node -> attempts it believes it runs
  const launches = new Map<string, number>(); // task key -> launches
  const allActions: Action[] = [];
  const nodeIds: string[] = [];
  for (let i = 0; i < o.cores; i++) nodeIds.push(`core-${i}`);
  for (let i = 0; i < o.tasks; i++) nodeIds.push(`task-${i}`);
  for (const id of nodeIds) push(0, { kind: 'Restart', nodeId: id });
  o.jobs.forEach((j, i) => {
    const splits: Split[] = Array.from({ length: j.maps }, (_, k) => ({ uri: `/in/${i}`, start: k * 100, length: 100 }));
    const spec: JobSpec = {
      name: 'sim', job: { builtin: 'wordcount' }, params: {}, inputs: [`/in/${i}`], output: `/out/${i}`,
      numReducers: j.reducers, sortBufferBytes: 1 << 20, maxAttempts: 4, maxKilledAttempts: 10,
      taskTimeoutMs: 30_000, speculation: o.speculation ?? false, skipBadRecords: false,
    };
    push(100 + i, { kind: 'JobSubmitted', jobId: `job-${i}`, spec, splits, nowMs: 0 });
  });
  for (let t = 500; t < (o.maxSimMs ?? 600_000); t += 500) push(t, { kind: 'Tick', nowMs: 0 });

  let nowMs = 0;
  let steps = 0;
  const done = () => [...s.jobs.values()].length === o.jobs.length && [...s.jobs.values()].every((j) => j.state === 'SUCCEEDED' || j.state === 'FAILED');
  while (queue.size > 0 && !done()) {
    const next = queue.pop()!;
    nowMs = next.at;
    const ev = next.event;
    if (ev.kind === 'Restart') {
      alive.set(ev.nodeId, true);
      running.set(ev.nodeId, new Set());
      const role = ev.nodeId.startsWith('core') ? 'core' : 'task';
      apply({ kind: 'NodeRegistered', nodeId: ev.nodeId, role, address: `${ev.nodeId}:1`, slots: o.slots, running: [], mapOutputs: [], nowMs });
      continue;
    }
    if (ev.kind === 'Tick') {
      // heartbeats from live nodes, crashes, then the tick itself
      for (const id of nodeIds) {
        if (!alive.get(id)) continue;
        if (id.startsWith('task') && rand() < (o.crashRatePerSec ?? 0) / 2) {
          alive.set(id, false);
          running.get(id)!.clear();
          push(nowMs + 2_000, { kind: 'Restart', nodeId: id });
          continue;
        }
        apply({ kind: 'Heartbeat', nodeId: id, running: [...running.get(id)!], progress: [...running.get(id)!].map((a) => ({ attemptId: a, units: nowMs })), nowMs });
      }
      apply({ kind: 'Tick', nowMs });
      continue;
    }
    if (ev.kind === 'AttemptSucceeded' || ev.kind === 'AttemptFailed') {
      const nodeId = s.attempts.get(ev.attemptId)?.nodeId;
      // a crashed worker reports nothing
      if (!nodeId || !alive.get(nodeId) || !running.get(nodeId)!.delete(ev.attemptId)) continue;
    }
    apply({ ...ev, nowMs } as MasterEvent);
  }
  return { state: s, nowMs, steps, launches, actions: allActions };

  function apply(e: MasterEvent): void {
    const { actions } = step(s, e);
    steps++;
    allActions.push(...actions);
    for (const a of actions) {
      if (a.kind === 'StartAttempt') {
        const key = `${a.spec.jobId}/${a.spec.taskId}`;
        launches.set(key, (launches.get(key) ?? 0) + 1);
        running.get(a.nodeId)!.add(a.spec.attemptId);
        const fails = rand() < (o.failRate ?? 0);
        const duration = 200 + Math.floor(rand() * 3_000);
        push(nowMs + duration, fails
          ? { kind: 'AttemptFailed', attemptId: a.spec.attemptId, error: 'boom', nowMs: 0 }
          : { kind: 'AttemptSucceeded', attemptId: a.spec.attemptId, counters: { inputRecords: 1 }, nowMs: 0 });
      } else if (a.kind === 'KillAttempt') {
        running.get(a.nodeId)?.delete(a.attemptId);
      } else if (a.kind === 'CommitJob') {
        push(nowMs + 10, { kind: 'JobCommitted', jobId: a.jobId, nowMs: 0 });
      }
    }
    checkInvariants(s, actions);
  }
}

/** A binary min-heap: the simulation's event queue. */
class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const h = this.items;
    h.push(x);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (this.less(h[i]!, h[p]!) >= 0) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!) < 0) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!) < 0) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
