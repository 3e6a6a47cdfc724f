import { attemptOutputDir, bsOutputPath, failJob, killAttempt, onAttemptFailed, onMapOutputLost, sendGathered } from './attempts.js';
import { schedule } from './schedule.js';
import { fsNodeLost, replicateBlocks } from './fs.js';
import { aliveCores, assert, awaitsGathered, describeFull, getJob, hasLeft, isFull, isGatherTask0, phaseDone, shuffleCores, taskOf } from './state.js';
import type { Action, MasterEvent, MasterState, NodeInfo } from './types.js';

type Ev<K extends MasterEvent['kind']> = Extract<MasterEvent, { kind: K }>;

/**
 * A worker (re)registers. A known, live node that reconnects (a network blip, a master restart)
 * says what survived: attempts still running keep running; map outputs it still holds keep
 * counting. Everything else it had is lost. A node the master thought DEAD (or DECOMMISSIONED) starts afresh.
 */
export function onNodeRegistered(s: MasterState, e: Ev<'NodeRegistered'>): Action[] {
  const actions: Action[] = [];
  const old = s.nodes.get(e.nodeId);
  const reported = new Set(e.running);
  if (old && !hasLeft(old)) {
    old.awaitingSession = undefined;
    old.graceUntilMs = undefined;
    for (const id of [...old.running]) {
      if (!reported.has(id) && s.attempts.get(id)?.state === 'RUNNING') killAttempt(s, id, `node ${old.id} came back without it`, e.nowMs, actions, { notifyWorker: false });
    }
    if (old.role === 'core') onMapOutputLost(s, old.id, e.nowMs, actions, new Set(e.mapOutputs));
    old.address = e.address;
    old.slots = e.slots;
    old.lastHeartbeatMs = e.nowMs;
  } else {
    s.nodes.set(e.nodeId, { id: e.nodeId, role: e.role, address: e.address, slots: e.slots, state: 'ALIVE', lastHeartbeatMs: e.nowMs, running: [] });
  }
  const node = s.nodes.get(e.nodeId)!;
  if (e.disk) node.disk = { ...e.disk };
  // attempts the worker runs that the master does not count there: stop them
  for (const id of e.running) {
    if (!node.running.includes(id)) actions.push({ kind: 'KillAttempt', nodeId: node.id, attemptId: id, reason: 'not running on this node' });
  }
  // a gathering task 0 kept here may have missed the others' output (sent while this node had no
  // session, or lost in a master restart): again, the worker ignores a second copy
  for (const id of node.running) {
    const job = getJob(s, s.attempts.get(id)!.jobId);
    if (isGatherTask0(job, taskOf(job, s.attempts.get(id)!.taskId))) sendGathered(s, job, e.nowMs, actions, node.id);
  }
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

export function onHeartbeat(s: MasterState, e: Ev<'Heartbeat'>): Action[] {
  const node = s.nodes.get(e.nodeId);
  if (!node) return [];
  // a node declared DEAD (or gone DECOMMISSIONED) lost its attempts, replicas and map outputs here: it
  // must register again (with its block report and what it still holds), not slip back in on a heartbeat
  if (hasLeft(node)) return [{ kind: 'CloseSession', nodeId: node.id, reason: `declared ${node.state === 'DEAD' ? 'dead' : 'decommissioned'}: register again` }];
  node.lastHeartbeatMs = e.nowMs;
  if (e.disk) node.disk = { ...e.disk };
  const actions: Action[] = [];
  for (const p of e.progress) {
    const a = s.attempts.get(p.attemptId);
    if (!a || a.state !== 'RUNNING' || a.nodeId !== node.id) continue;
    if (p.units > a.progressUnits) {
      a.progressUnits = p.units;
      a.lastProgressMs = e.nowMs;
    }
    if (p.awaiting) a.awaiting = p.awaiting;
    else delete a.awaiting;
  }
  // Reconcile: attempts the worker runs that the master no longer counts as running there.
  for (const id of e.running) {
    const a = s.attempts.get(id);
    if (!a || a.state !== 'RUNNING' || a.nodeId !== node.id) {
      actions.push({ kind: 'KillAttempt', nodeId: node.id, attemptId: id, reason: 'not running on this node' });
    }
  }
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

export function onNodeDisconnected(s: MasterState, e: Ev<'NodeDisconnected'>): Action[] {
  const node = s.nodes.get(e.nodeId);
  if (!node || hasLeft(node)) return [];
  const actions: Action[] = [];
  markLeft(s, node, 'disconnected', e.nowMs, actions);
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

/** Heartbeat and task timeouts are decided here: time is an input (style.md). */
export function onTick(s: MasterState, nowMs: number): Action[] {
  const actions: Action[] = [];
  for (const node of s.nodes.values()) {
    if (hasLeft(node) || (node.graceUntilMs !== undefined && nowMs <= node.graceUntilMs)) continue;
    if (nowMs - node.lastHeartbeatMs > s.config.heartbeatTimeoutMs) {
      markLeft(s, node, `no heartbeat for ${nowMs - node.lastHeartbeatMs} ms`, nowMs, actions);
    }
  }
  for (const node of s.nodes.values()) {
    for (const id of [...node.running]) {
      const a = s.attempts.get(id)!;
      const job = getJob(s, a.jobId);
      const idle = nowMs - a.lastProgressMs;
      if (idle > job.spec.taskTimeoutMs && !awaitsGathered(job, taskOf(job, a.taskId))) {
        actions.push({ kind: 'KillAttempt', nodeId: node.id, attemptId: id, reason: 'task timeout' });
        // an attempt idle in a user function's promise is not stuck in its own code: say which one never settled
        const error = a.awaiting
          ? `${a.awaiting} returned a promise that did not settle within ${job.spec.taskTimeoutMs / 1000}s (--task-timeout)`
          : `no progress for ${Math.round(idle / 1000)} s (--task-timeout ${job.spec.taskTimeoutMs / 1000} s)`;
        actions.push(...onAttemptFailed(s, { kind: 'AttemptFailed', attemptId: id, error, nowMs }));
      }
    }
  }
  checkCoreWorkers(s, nowMs, actions);
  replicateBlocks(s, nowMs, actions);
  actions.push(...schedule(s, nowMs));
  return actions;
}

/**
 * Running jobs need a core worker for their shuffle data: they wait for one, within a bound. Core
 * workers that are all full (below --reserved-space) take no map output: jobs still mapping wait
 * for room within the same bound, then fail saying so (a job already reducing needs no new room).
 */
function checkCoreWorkers(s: MasterState, nowMs: number, actions: Action[]): void {
  const cores = aliveCores(s);
  if (cores.length > 0 && cores.every(isFull)) {
    s.allCoresFullSinceMs ??= nowMs;
    if (nowMs - s.allCoresFullSinceMs > s.config.noCoreGraceMs) {
      for (const jobId of s.jobOrder) {
        const job = getJob(s, jobId);
        if (job.state === 'RUNNING' && !phaseDone(job, 'map')) {
          failJob(s, job, `every core worker has been full for ${Math.round((nowMs - s.allCoresFullSinceMs) / 1000)} s, so map outputs have nowhere to go: ${describeFull(cores)}`, nowMs, actions);
        }
      }
    }
  } else {
    s.allCoresFullSinceMs = undefined;
  }
  if (shuffleCores(s).length > 0) {
    s.noCoreSinceMs = undefined;
    return;
  }
  s.noCoreSinceMs ??= nowMs;
  if (nowMs - s.noCoreSinceMs <= s.config.noCoreGraceMs) return;
  // say what happened when the cluster's core workers were drained rather than lost
  const drained = [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'DECOMMISSIONED').map((n) => n.id);
  const why = drained.length > 0 ? `; the last core workers were drained (${drained.join(', ')}): start a worker with --role core` : ' (start a worker with --role core)';
  for (const jobId of s.jobOrder) {
    const job = getJob(s, jobId);
    if (job.state === 'RUNNING') {
      failJob(s, job, `no core worker has been alive for ${Math.round((nowMs - s.noCoreSinceMs) / 1000)} s to hold shuffle data${why}`, nowMs, actions);
    }
  }
}

/** After a master restart: the replayed state is live again. */
export function onMasterRecovered(s: MasterState, nowMs: number): Action[] {
  const actions: Action[] = [];
  // Workers lost their session with the old master; give them a grace period to reconnect.
  // no session exists yet: nothing is assigned to a node before it registers again
  for (const node of s.nodes.values()) {
    if (hasLeft(node)) continue;
    node.graceUntilMs = nowMs + s.config.recoveryGraceMs;
    node.awaitingSession = true;
  }
  for (const a of s.attempts.values()) if (a.state === 'RUNNING') a.lastProgressMs = nowMs + s.config.recoveryGraceMs;
  for (const jobId of s.jobOrder) {
    const job = getJob(s, jobId);
    // Commits granted before the crash may not have happened: redo them (they are idempotent).
    const local = bsOutputPath(job.spec.output) === undefined && !job.spec.output.startsWith('s3://');
    // (a COMMITTING job's CommitJob below is idempotent over parts already moved; redoing its task
    // commits would fail on parts the job commit already took)
    if (job.state === 'RUNNING' && local) {
      for (const t of job.reduces) {
        if (t.state !== 'SUCCEEDED') continue;
        const a = s.attempts.get(t.winner!)!;
        actions.push({ kind: 'CommitTask', jobId, attemptId: a.id, partition: t.index, output: job.spec.output, attemptOutput: attemptOutputDir(job.spec.output, a.id) });
      }
    }
    if (job.state === 'COMMITTING') {
      const uploads = job.reduces.flatMap((t) => (t.upload ? [t.upload] : []));
      actions.push({
        kind: 'CommitJob', jobId, output: job.spec.output, numReducers: job.spec.numReducers, ...(uploads.length > 0 ? { uploads } : {}),
        overwrite: job.spec.overwrite === true, redo: true,
      });
    }
    // Hand-offs in flight died with the old master's sessions: plan them again.
    for (const t of job.maps) t.handOffTo = undefined;
  }
  return actions;
}

/**
 * A node that left loses its running attempts (KILLED: they do not count as failures) and, for a
 * core worker, the map outputs and block replicas it stored; those maps run again. One that was
 * draining has left as it was asked or announced: DECOMMISSIONED, not DEAD (not a failure).
 */
function markLeft(s: MasterState, node: NodeInfo, why: string, nowMs: number, actions: Action[]): void {
  assert(!hasLeft(node), `node ${node.id} has already left`);
  node.state = node.state === 'DECOMMISSIONING' ? 'DECOMMISSIONED' : 'DEAD';
  node.released = undefined;
  node.graceUntilMs = undefined;
  for (const attemptId of [...node.running]) {
    if (s.attempts.get(attemptId)?.state !== 'RUNNING') continue; // ended by a job failure inside this loop
    killAttempt(s, attemptId, `node ${node.id} lost (${why})`, nowMs, actions, { notifyWorker: false });
  }
  assert(node.running.length === 0, `node ${node.id} left but still runs attempts`);
  if (node.role === 'core') {
    onMapOutputLost(s, node.id, nowMs, actions);
    fsNodeLost(s, node.id);
    replicateBlocks(s, nowMs, actions);
  }
}
