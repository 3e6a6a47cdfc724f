import { killAttempt, onMapOutputLost } from './attempts.js';
import { schedule } from './schedule.js';
import { assert } from './state.js';
import type { Action, MasterEvent, MasterState, NodeInfo } from './types.js';

type Ev<K extends MasterEvent['kind']> = Extract<MasterEvent, { kind: K }>;

export function onNodeRegistered(s: MasterState, e: Ev<'NodeRegistered'>): Action[] {
  const actions: Action[] = [];
  const old = s.nodes.get(e.nodeId);
  // A node that registers again has restarted: whatever it ran before is gone.
  if (old && old.state !== 'DEAD') markDead(s, old, 're-registered', e.nowMs, actions);
  s.nodes.set(e.nodeId, {
    id: e.nodeId,
    role: e.role,
    address: e.address,
    slots: e.slots,
    state: 'ALIVE',
    lastHeartbeatMs: e.nowMs,
    running: [],
  });
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

export function onHeartbeat(s: MasterState, e: Ev<'Heartbeat'>): Action[] {
  const node = s.nodes.get(e.nodeId);
  if (!node) return [];
  node.lastHeartbeatMs = e.nowMs;
  const actions: Action[] = [];
  if (node.state === 'DEAD') node.state = 'ALIVE';
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
  if (!node || node.state === 'DEAD') return [];
  const actions: Action[] = [];
  markDead(s, node, 'disconnected', e.nowMs, actions);
  actions.push(...schedule(s, e.nowMs));
  return actions;
}

/** Heartbeat timeouts are decided here: time is an input (style.md). */
export function onTick(s: MasterState, nowMs: number): Action[] {
  const actions: Action[] = [];
  for (const node of s.nodes.values()) {
    if (node.state !== 'DEAD' && nowMs - node.lastHeartbeatMs > s.config.heartbeatTimeoutMs) {
      markDead(s, node, `no heartbeat for ${nowMs - node.lastHeartbeatMs} ms`, nowMs, actions);
    }
  }
  actions.push(...schedule(s, nowMs));
  return actions;
}

/**
 * A dead node loses its running attempts (KILLED: they do not count as failures) and, for a core
 * worker, the map outputs it stored; those maps run again.
 */
function markDead(s: MasterState, node: NodeInfo, why: string, nowMs: number, actions: Action[]): void {
  assert(node.state !== 'DEAD', `node ${node.id} is already dead`);
  node.state = 'DEAD';
  for (const attemptId of [...node.running]) {
    killAttempt(s, attemptId, `node ${node.id} lost (${why})`, nowMs, actions, { notifyWorker: false });
  }
  assert(node.running.length === 0, `dead node ${node.id} still runs attempts`);
  if (node.role === 'core') onMapOutputLost(s, node.id, nowMs, actions);
}
