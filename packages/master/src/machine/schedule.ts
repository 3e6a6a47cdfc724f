import { attemptOutputDir, killAttempt } from './attempts.js';
import { addCounter, assert, awaitsGathered, freeSlots, gatherHeldBack, gatheredRows, hasLeft, isFull, isGatherTask0, pendingTasks, phaseDone, phaseProgress, setTaskState, shuffleCores } from './state.js';
import type { Action, Attempt, AttemptSpec, Job, MapOutputLocation, MasterState, NodeInfo, Task } from './types.js';

/** Speculation: a backup starts when an attempt runs this many times the phase's median... */
const SPECULATION_SLOWDOWN = 2;
/** ...and has run at least this long (tiny tasks are not worth a copy). */
const SPECULATION_MIN_RUN_MS = 2_000;
/** At most this share of a phase's tasks run a backup at once (at least one). */
const SPECULATION_MAX_SHARE = 0.1;

/**
 * Assigns pending tasks to free slots: jobs in submission order; a job's reduces only once all
 * its maps have succeeded. Each task goes to the node with the most free slots, avoiding nodes
 * where it already failed while another node is free. Slots left over go to speculative backups
 * of stragglers. Called after every event.
 */
export function schedule(s: MasterState, nowMs: number): Action[] {
  const actions: Action[] = [];
  let free = freeNodes(s);
  if (free.length === 0 && yieldGatherSlots(s, nowMs, actions)) free = freeNodes(s);
  for (const jobId of s.jobOrder) {
    if (free.length === 0) break;
    const job = s.jobs.get(jobId)!;
    if (job.state !== 'RUNNING') continue;
    // every reduce launched in this call lists the same map outputs: built once (O(maps))
    const launching: Launching = {};
    const kind = phaseDone(job, 'map') ? 'reduce' : 'map';
    const phase = kind === 'map' ? job.maps : job.reduces;
    let heldBack: Task | undefined;
    for (const task of pendingTasks(job, kind)) {
      if (gatherHeldBack(job, task)) {
        heldBack = task;
        continue;
      }
      if (!assign(s, job, task, free, nowMs, actions, false, launching)) break;
      if (free.length === 0) break;
    }
    // a gathering task 0 goes once the others have started, in this same call when they just did
    if (heldBack && free.length > 0 && !gatherHeldBack(job, heldBack)) assign(s, job, heldBack, free, nowMs, actions, false, launching);
    if (job.spec.speculation && job.state === 'RUNNING') speculate(s, job, phase, free, nowMs, actions, launching);
  }
  return actions;
}

function freeNodes(s: MasterState): NodeInfo[] {
  return [...s.nodes.values()].filter((n) => freeSlots(n) > 0);
}

/**
 * A gathering job's task 0 waits for tasks 1..R-1 holding a slot. When one of those is PENDING
 * again (its node died) and no slot is free anywhere, it would wait for that slot forever: task 0's
 * waiting attempt gives its slot up (killed, not counted against the task) and launches again once
 * the others have all started. True when a slot was freed.
 */
function yieldGatherSlots(s: MasterState, nowMs: number, actions: Action[]): boolean {
  let freed = false;
  for (const jobId of s.jobOrder) {
    const job = s.jobs.get(jobId)!;
    if (job.state !== 'RUNNING' || job.spec.gather !== true || !phaseDone(job, 'map')) continue;
    const task0 = job.reduces[0]!;
    if (!gatherHeldBack(job, task0)) continue;
    for (const id of task0.attempts) {
      if (s.attempts.get(id)!.state !== 'RUNNING') continue;
      killAttempt(s, id, 'gives its slot to a task it gathers from', nowMs, actions, { notifyWorker: true, count: false });
      freed = true;
    }
  }
  return freed;
}

/** What the launches of one schedule() call share. */
interface Launching {
  mapOutputs?: MapOutputLocation[];
}

/** Starts one attempt of `task` on the best free node; false when none fits. */
function assign(s: MasterState, job: Job, task: Task, free: NodeInfo[], nowMs: number, actions: Action[], speculative: boolean, launching: Launching): boolean {
  const exclude = speculative ? new Set(task.attempts.map((id) => s.attempts.get(id)!.nodeId)) : undefined;
  const node = pickNode(free, task, exclude);
  if (!node) return false;
  let shuffleTargets: NodeInfo[] | undefined;
  if (task.kind === 'map') {
    shuffleTargets = pickShuffleTargets(s);
    if (shuffleTargets.length === 0) return false; // waits for a core worker (onTick fails the job after a grace period)
  }
  if (task.split?.hosts?.includes(node.id)) addCounter(job.counters, 'dataLocalMaps', 1);
  actions.push(launch(s, job, task, node, shuffleTargets, nowMs, speculative, launching));
  if (freeSlots(node) === 0) free.splice(free.indexOf(node), 1);
  return true;
}

/**
 * Backup copies for stragglers (the MapReduce paper, section 3.6): only once nothing in the phase
 * is waiting, for an attempt running SPECULATION_SLOWDOWN x the median of the phase's finished
 * tasks, on another node. The first copy to finish wins; the other is killed.
 */
function speculate(s: MasterState, job: Job, phase: Task[], free: NodeInfo[], nowMs: number, actions: Action[], launching: Launching): void {
  if (phase.length === 0) return;
  if (free.length === 0 || phaseProgress(job, phase[0]!.kind).pending > 0) return;
  const durations: number[] = [];
  let backups = 0;
  const candidates: { task: Task; runMs: number }[] = [];
  for (const t of phase) {
    const running = t.attempts.map((id) => s.attempts.get(id)!).filter((a) => a.state === 'RUNNING');
    if (t.state === 'SUCCEEDED') {
      const w = s.attempts.get(t.winner!)!;
      durations.push(w.finishedMs! - w.startedMs);
    } else if (running.length > 1 || running.some((a) => a.speculative)) {
      backups++;
    } else if (running.length === 1 && !isGatherTask0(job, t)) {
      // (a gathering task 0 waits for the others: its run time says nothing of its speed, and a
      // copy would fetch and reduce everything again)
      candidates.push({ task: t, runMs: nowMs - running[0]!.startedMs });
    }
  }
  if (durations.length === 0 || candidates.length === 0) return;
  durations.sort((a, b) => a - b);
  const median = durations[durations.length >> 1]!;
  const threshold = Math.max(SPECULATION_MIN_RUN_MS, SPECULATION_SLOWDOWN * median);
  const maxBackups = Math.max(1, Math.floor(phase.length * SPECULATION_MAX_SHARE));
  candidates.sort((a, b) => b.runMs - a.runMs); // slowest first
  for (const { task, runMs } of candidates) {
    if (backups >= maxBackups || free.length === 0 || runMs < threshold) return;
    if (assign(s, job, task, free, nowMs, actions, true, launching)) {
      backups++;
      addCounter(job.counters, 'speculativeAttempts', 1);
    }
  }
}

function pickNode(free: NodeInfo[], task: Task, exclude?: Set<string>): NodeInfo | undefined {
  let best: NodeInfo | undefined;
  let bestScore = -Infinity;
  const hosts = task.split?.hosts;
  for (const n of free) {
    if (exclude?.has(n.id)) continue;
    // a node where this task failed before is used only when no other node is free; one holding
    // the split's block (data-local) is preferred to any other
    const score = freeSlots(n) - (task.failedOn.includes(n.id) ? 1e6 : 0) + (hosts?.includes(n.id) ? 1e3 : 0);
    if (score > bestScore) ((best = n), (bestScore = score));
  }
  return best;
}

/** Map outputs are kept twice when there are two core workers or more (issue 4). */
export const SHUFFLE_REPLICATION = 2;

/**
 * Round-robin over live core workers with room, so map outputs spread evenly; consecutive ones hold
 * the copies. Full ones (below --reserved-space) get none: when all are full the map waits.
 */
function pickShuffleTargets(s: MasterState): NodeInfo[] {
  const cores = shuffleCores(s).filter((n) => !isFull(n));
  if (cores.length === 0) return [];
  const first = s.shuffleCursor++ % cores.length;
  return Array.from({ length: Math.min(SHUFFLE_REPLICATION, cores.length) }, (_, i) => cores[(first + i) % cores.length]!);
}

function launch(
  s: MasterState, job: Job, task: Task, node: NodeInfo, shuffleTargets: NodeInfo[] | undefined, nowMs: number, speculative: boolean, launching: Launching,
): Action {
  const number = task.attempts.length;
  const id = `${job.id}.${task.id}.${number}`;
  const attempt: Attempt = {
    id,
    jobId: job.id,
    taskId: task.id,
    kind: task.kind,
    number,
    nodeId: node.id,
    state: 'RUNNING',
    startedMs: nowMs,
    progressUnits: 0,
    lastProgressMs: nowMs,
    speculative,
    ...(shuffleTargets ? { shuffleTargets: shuffleTargets.map((t) => t.id) } : {}),
  };
  s.attempts.set(id, attempt);
  task.attempts.push(id);
  setTaskState(job, task, 'RUNNING');
  node.running.push(id);
  addCounter(job.counters, task.kind === 'map' ? 'mapAttempts' : 'reduceAttempts', 1);
  const spec: AttemptSpec = {
    attemptId: id,
    jobId: job.id,
    taskId: task.id,
    kind: task.kind,
    attempt: number,
    job: job.spec.job,
    params: job.spec.params,
    numReducers: job.spec.numReducers,
    sortBufferBytes: job.spec.sortBufferBytes,
    ...(job.spec.taskMemoryBytes ? { taskMemoryBytes: job.spec.taskMemoryBytes } : {}),
  };
  if (job.spec.skipBadRecords) {
    // records user code threw on in two attempts are skipped from the third on (the paper, 3.7)
    const bad = Object.entries(task.badRecords).filter(([, n]) => n >= 2).map(([r]) => r);
    spec.skipOffsets = bad.filter((r) => r.startsWith('offset:')).map((r) => Number(r.slice(7)));
    spec.skipKeys = bad.filter((r) => r.startsWith('key:')).map((r) => r.slice(4));
  }
  if (task.kind === 'map') {
    spec.mapIndex = task.index;
    spec.split = task.split;
    spec.shuffleTargets = shuffleTargets!.map((t) => ({ nodeId: t.id, address: t.address }));
  } else {
    spec.partition = task.index;
    spec.output = job.spec.output;
    spec.attemptOutput = attemptOutputDir(job.spec.output, id);
    // the master decides who gathers (the job's own gather() ran once, at submit)
    if (job.spec.gather && task.index === 0) {
      if (awaitsGathered(job, task)) spec.gatherPending = true;
      else spec.gathered = gatheredRows(job);
    }
    if (job.spec.gather && task.index > 0) spec.gatherOutput = true;
    spec.mapOutputs = launching.mapOutputs ??= job.maps.map((m) => {
      const holders = (m.outputNodes ?? []).map((id) => s.nodes.get(id)!).filter((n) => !hasLeft(n));
      assert(m.winner && holders.length > 0, `reduce launched before map ${m.id} has live output`);
      return { mapIndex: m.index, attemptId: m.winner, holders: holders.map((h) => ({ nodeId: h.id, address: h.address })) };
    });
  }
  return { kind: 'StartAttempt', nodeId: node.id, spec };
}
