/**
 * A seeded simulated cluster over the master's pure machine (style.md: tigerbeetle's VOPR idea).
 * Workers, attempts, crashes, slow nodes, hung attempts, reordered reports, drains and a master
 * restart are events in a queue ordered by simulated time; the checker runs after every step.
 * A failing run prints MR_SIM_SEED=... to reproduce it.
 */
import { initialState, step, type Action, type JobSpec, type MasterEvent, type MasterState, type Split } from '../../packages/master/src/index.js';
import { deserializeState, serializeState } from '../../packages/master/src/journal/journal.js';
import { carryCommits, checkInvariants } from './invariants.js';

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
  /** `gather`: reduce tasks 1..R-1 hand output to task 0 (JobDefinition.gather). */
  jobs: { maps: number; reducers: number; gather?: boolean }[];
  /** Probability per attempt that user code throws. */
  failRate?: number;
  /** Probability per attempt that it hangs: no progress, no report (the task timeout ends it). */
  hangRate?: number;
  /** Probability per second that a given task worker crashes (and restarts 2 s later). */
  crashRatePerSec?: number;
  /** Attempts on these nodes take `slowFactor` times as long. */
  slowNodes?: string[];
  slowFactor?: number;
  speculation?: boolean;
  /** Reports reach the master after a random extra delay (reordered), some twice. */
  reorder?: boolean;
  /** At this simulated time the master restarts from its serialized state. */
  masterRestartAtMs?: number;
  /** Drain these nodes at these times (as `mr nodes drain` would). */
  drains?: { nodeId: string; atMs: number }[];
  /** Kill these nodes (any role) at these times, for good. */
  kills?: { nodeId: string; atMs: number }[];
  taskTimeoutMs?: number;
  maxSimMs?: number;
}

type SimEvent =
  | MasterEvent
  | { kind: 'Restart'; nodeId: string }
  | { kind: 'MasterRestart' }
  | { kind: 'Kill'; nodeId: string }
  | { kind: 'Report'; nodeId: string; event: MasterEvent };

interface Pending {
  at: number;
  seq: number;
  event: SimEvent;
}

export interface SimResult {
  state: MasterState;
  nowMs: number;
  steps: number;
  launches: Map<string, number>;
  actions: Action[];
  /** Every event the machine saw, in order (what the journal would hold). */
  events: MasterEvent[];
}

export function simulate(o: SimOptions): SimResult {
  const rand = rng(o.seed);
  let s = initialState({ heartbeatTimeoutMs: 5_000 });
  const queue = new MinHeap<Pending>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  const push = (at: number, event: SimEvent) => queue.push({ at, seq: seq++, event });
  const alive = new Map<string, boolean>();
  const running = new Map<string, Set<string>>(); // node -> attempts it believes it runs
  const hung = new Set<string>();
  /** Gathering task 0 attempts that have reduced their own keys and wait for SendGathered. */
  const awaiting = new Set<string>();
  const stored = new Map<string, Set<string>>(); // core -> map outputs it holds
  const released = new Set<string>();
  /** After a master restart, until a node registers again it has no session: no heartbeats, reports wait. */
  const reconnecting = new Set<string>();
  /** Attempts whose report is still on its way: a re-registering worker lists them as running. */
  const unreported = new Map<string, Set<string>>();
  const launches = new Map<string, number>();
  const allActions: Action[] = [];
  const events: MasterEvent[] = [];
  const nodeIds: string[] = [];
  for (let i = 0; i < o.cores; i++) nodeIds.push(`core-${i}`);
  for (let i = 0; i < o.tasks; i++) nodeIds.push(`task-${i}`);
  for (const id of nodeIds) push(0, { kind: 'Restart', nodeId: id });
  o.jobs.forEach((j, i) => {
    const splits: Split[] = Array.from({ length: j.maps }, (_, k) => ({ uri: `/in/${i}`, start: k * 100, length: 100 }));
    const spec: JobSpec = {
      name: 'sim', job: { builtin: 'wordcount' }, params: {}, inputs: [`/in/${i}`], output: `/out/${i}`,
      numReducers: j.reducers, sortBufferBytes: 1 << 20, maxAttempts: 4, maxKilledAttempts: 10,
      taskTimeoutMs: o.taskTimeoutMs ?? 30_000, speculation: o.speculation ?? false, skipBadRecords: false,
      ...(j.gather ? { gather: true } : {}),
    };
    push(100 + i, { kind: 'JobSubmitted', jobId: `job-${i}`, spec, splits, nowMs: 0 });
  });
  for (let t = 500; t < (o.maxSimMs ?? 600_000); t += 500) push(t, { kind: 'Tick', nowMs: 0 });
  if (o.masterRestartAtMs !== undefined) push(o.masterRestartAtMs, { kind: 'MasterRestart' });
  for (const d of o.drains ?? []) push(d.atMs, { kind: 'DrainRequested', nodeId: d.nodeId, nowMs: 0 });
  for (const k of o.kills ?? []) push(k.atMs, { kind: 'Kill', nodeId: k.nodeId });

  let nowMs = 0;
  let steps = 0;
  const done = () => s.jobs.size === o.jobs.length && [...s.jobs.values()].every((j) => j.state === 'SUCCEEDED' || j.state === 'FAILED');
  const register = (id: string) =>
    apply({ kind: 'NodeRegistered', nodeId: id, role: id.startsWith('core') ? 'core' : 'task', address: `${id}:1`, slots: o.slots, running: [...running.get(id)!, ...(unreported.get(id) ?? [])], mapOutputs: [...(stored.get(id) ?? [])], nowMs });
  while (queue.size > 0 && !done()) {
    const next = queue.pop()!;
    nowMs = next.at;
    const ev = next.event;
    switch (ev.kind) {
      case 'Restart':
        alive.set(ev.nodeId, true);
        running.set(ev.nodeId, new Set());
        stored.set(ev.nodeId, new Set());
        unreported.set(ev.nodeId, new Set());
        register(ev.nodeId);
        continue;
      case 'Kill':
        alive.set(ev.nodeId, false);
        running.get(ev.nodeId)?.clear();
        apply({ kind: 'NodeDisconnected', nodeId: ev.nodeId, nowMs });
        continue;
      case 'MasterRestart': {
        // what the journal gives back: the serialized state, then MasterRecovered; workers reconnect
        const before = s;
        s = deserializeState(JSON.parse(JSON.stringify(serializeState(s))), s.config);
        carryCommits(before, s);
        apply({ kind: 'MasterRecovered', nowMs });
        for (const id of nodeIds) {
          if (!alive.get(id) || released.has(id)) continue;
          reconnecting.add(id);
          push(nowMs + 200 + Math.floor(rand() * 1_500), { kind: 'Report', nodeId: id, event: { kind: 'Tick', nowMs: -1 } });
        }
        continue;
      }
      case 'Report':
        if (!alive.get(ev.nodeId)) continue;
        if (ev.event.kind === 'Tick') {
          reconnecting.delete(ev.nodeId); // the reconnect after a master restart
          register(ev.nodeId);
        } else if (reconnecting.has(ev.nodeId)) push(nowMs + 100, ev);
        else {
          if ('attemptId' in ev.event) unreported.get(ev.nodeId)?.delete(ev.event.attemptId);
          apply({ ...ev.event, nowMs } as MasterEvent);
        }
        continue;
      case 'Tick':
        for (const id of nodeIds) {
          if (!alive.get(id)) continue;
          if (released.has(id) && running.get(id)!.size === 0) {
            alive.set(id, false); // a released worker leaves once its attempts are done
            continue;
          }
          if (id.startsWith('task') && rand() < (o.crashRatePerSec ?? 0) / 2) {
            alive.set(id, false);
            for (const a of running.get(id)!) hung.delete(a);
            running.get(id)!.clear();
            push(nowMs + 2_000, { kind: 'Restart', nodeId: id });
            continue;
          }
          if (reconnecting.has(id)) continue;
          const mine = [...running.get(id)!];
          apply({ kind: 'Heartbeat', nodeId: id, running: mine, progress: mine.map((a) => ({ attemptId: a, units: hung.has(a) || awaiting.has(a) ? 0 : nowMs })), nowMs });
        }
        apply({ kind: 'Tick', nowMs });
        continue;
      case 'AttemptSucceeded':
      case 'AttemptFailed': {
        const nodeId = s.attempts.get(ev.attemptId)?.nodeId;
        // a crashed worker reports nothing; a killed attempt reports nothing
        if (!nodeId || !alive.get(nodeId)) continue;
        if (reconnecting.has(nodeId)) {
          push(nowMs + 100, ev); // the report waits for the session
          continue;
        }
        if (!running.get(nodeId)!.delete(ev.attemptId)) continue;
        if (ev.kind === 'AttemptSucceeded') for (const t of s.attempts.get(ev.attemptId)?.shuffleTargets ?? []) if (alive.get(t)) stored.get(t)?.add(ev.attemptId);
        const report: MasterEvent = { ...ev, nowMs };
        if (o.reorder) {
          if (!unreported.has(nodeId)) unreported.set(nodeId, new Set());
          unreported.get(nodeId)!.add(ev.attemptId);
          push(nowMs + Math.floor(rand() * 3_000), { kind: 'Report', nodeId, event: report });
          if (rand() < 0.1) push(nowMs + Math.floor(rand() * 6_000), { kind: 'Report', nodeId, event: report }); // duplicate
        } else apply(report);
        continue;
      }
      default:
        apply({ ...ev, nowMs } as MasterEvent);
    }
  }
  return { state: s, nowMs, steps, launches, actions: allActions, events };

  function apply(e: MasterEvent): void {
    events.push(e);
    const { actions } = step(s, e);
    steps++;
    allActions.push(...actions);
    for (const a of actions) {
      switch (a.kind) {
        case 'StartAttempt': {
          const key = `${a.spec.jobId}/${a.spec.taskId}`;
          launches.set(key, (launches.get(key) ?? 0) + 1);
          running.get(a.nodeId)!.add(a.spec.attemptId);
          if (rand() < (o.hangRate ?? 0)) {
            hung.add(a.spec.attemptId);
            break;
          }
          const fails = rand() < (o.failRate ?? 0);
          if (a.spec.gatherPending && !fails) {
            awaiting.add(a.spec.attemptId); // it finishes once the others' output arrives
            break;
          }
          const slow = o.slowNodes?.includes(a.nodeId) ? (o.slowFactor ?? 20) : 1;
          const duration = (200 + Math.floor(rand() * 1_000)) * slow;
          push(nowMs + duration, fails
            ? { kind: 'AttemptFailed', attemptId: a.spec.attemptId, error: 'boom', stack: 'Error: boom\n    at map (/job.ts:1:1)', stderr: `${a.spec.attemptId} wrote this\n`, nowMs: 0 }
            : {
              kind: 'AttemptSucceeded', attemptId: a.spec.attemptId, counters: a.spec.kind === 'map' ? { inputRecords: 1 } : { outputRecords: 1 }, nowMs: 0,
              // a gathering reduce task hands task 0 one record naming itself
              ...(a.spec.kind === 'reduce' && a.spec.partition! > 0 ? { gathered: [JSON.stringify([a.spec.taskId, 1])] } : {}),
            });
          break;
        }
        case 'KillAttempt':
          running.get(a.nodeId)?.delete(a.attemptId);
          hung.delete(a.attemptId);
          awaiting.delete(a.attemptId);
          break;
        case 'SendGathered':
          if (awaiting.delete(a.attemptId) && running.get(a.nodeId)?.has(a.attemptId)) {
            push(nowMs + 200 + Math.floor(rand() * 500), { kind: 'AttemptSucceeded', attemptId: a.attemptId, counters: { outputRecords: 1 }, nowMs: 0 });
          }
          break;
        case 'CommitJob':
          push(nowMs + 10, { kind: 'JobCommitted', jobId: a.jobId, nowMs: 0 });
          break;
        case 'HandOff':
          stored.get(a.target.nodeId)?.add(a.attemptId);
          push(nowMs + 300, { kind: 'HandOffDone', jobId: a.jobId, attemptId: a.attemptId, targetNodeId: a.target.nodeId, ok: true, error: '', nowMs: 0 });
          break;
        case 'Release':
          released.add(a.nodeId);
          break;
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
