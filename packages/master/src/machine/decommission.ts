import { holdsNeededBlocks, replicateBlocks } from './fs.js';
import { assert, getJob, hasLeft, isFull, taskOf } from './state.js';
import type { Action, MasterEvent, MasterState, NodeInfo } from './types.js';

type Ev<K extends MasterEvent['kind']> = Extract<MasterEvent, { kind: K }>;

/**
 * Graceful drain (a spot interruption notice): a DECOMMISSIONING worker takes no new attempts and
 * finishes the ones it runs; a core worker first copies the map outputs it holds to other core
 * workers. When it holds nothing a running job needs, it is released and may exit.
 */
export function onDrainRequested(s: MasterState, e: Ev<'DrainRequested'>): Action[] {
  const node = s.nodes.get(e.nodeId);
  if (!node || hasLeft(node)) return [];
  const actions: Action[] = [{ kind: 'SendDrain', nodeId: node.id }];
  decommission(s, node, e.nowMs, actions);
  return actions;
}

export function onNodeDraining(s: MasterState, e: Ev<'NodeDraining'>): Action[] {
  const node = s.nodes.get(e.nodeId);
  if (!node || hasLeft(node)) return [];
  const actions: Action[] = [];
  decommission(s, node, e.nowMs, actions);
  return actions;
}

function decommission(s: MasterState, node: NodeInfo, nowMs: number, actions: Action[]): void {
  if (node.state === 'ALIVE') node.state = 'DECOMMISSIONING';
  if (node.role === 'core') {
    planHandOffs(s, node, actions);
    replicateBlocks(s, nowMs, actions); // its replicas no longer count: copies are made elsewhere
  }
}

/**
 * For every map output of a running job on `node`: drop this copy when a live one exists
 * elsewhere, else copy it to a live core worker (round-robin).
 */
export function planHandOffs(s: MasterState, node: NodeInfo, actions: Action[]): void {
  const targets = [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'ALIVE' && n.id !== node.id && !isFull(n));
  for (const jobId of s.jobOrder) {
    const job = getJob(s, jobId);
    if (job.state !== 'RUNNING') continue;
    for (const t of job.maps) {
      if (t.state !== 'SUCCEEDED' || !t.outputNodes?.includes(node.id) || t.handOffTo) continue;
      if (t.outputNodes.some((n) => n !== node.id && s.nodes.get(n)?.state === 'ALIVE')) {
        t.outputNodes = t.outputNodes.filter((n) => n !== node.id);
        continue;
      }
      if (targets.length === 0) continue; // nowhere to go: the map re-runs when it leaves
      const target = targets[s.shuffleCursor++ % targets.length]!;
      t.handOffTo = target.id;
      actions.push({ kind: 'HandOff', nodeId: node.id, jobId, attemptId: t.winner!, target: { nodeId: target.id, address: target.address } });
    }
  }
}

export function onHandOffDone(s: MasterState, e: Ev<'HandOffDone'>): Action[] {
  const job = s.jobs.get(e.jobId);
  const a = s.attempts.get(e.attemptId);
  if (!job || !a || job.state !== 'RUNNING') return [];
  const task = taskOf(job, a.taskId);
  if (task.winner !== e.attemptId || task.handOffTo !== e.targetNodeId) return [];
  task.handOffTo = undefined;
  const target = s.nodes.get(e.targetNodeId);
  // a failed copy is not retried: if the draining worker leaves first, the map runs again
  if (e.ok && target && target.state === 'ALIVE') task.outputNodes = [...(task.outputNodes ?? []).filter((n) => s.nodes.get(n)?.state === 'ALIVE'), target.id];
  return [];
}

/** Whether a running job still needs `nodeId`: it holds a map output, or a running map will store one there. */
function holdsNeededData(s: MasterState, nodeId: string): boolean {
  for (const jobId of s.jobOrder) {
    const job = getJob(s, jobId);
    if (job.state !== 'RUNNING') continue; // committing or over: reduces no longer fetch
    for (const t of job.maps) {
      if (t.state === 'SUCCEEDED' && t.outputNodes?.includes(nodeId) && !t.outputNodes.some((n) => n !== nodeId && s.nodes.get(n)?.state === 'ALIVE')) return true;
      for (const id of t.attempts) {
        const a = s.attempts.get(id)!;
        if (a.state === 'RUNNING' && a.shuffleTargets?.includes(nodeId)) return true;
      }
    }
  }
  return false;
}

/** After every event: release draining workers that hold nothing needed any more. */
export function releaseDrained(s: MasterState, actions: Action[]): void {
  for (const node of s.nodes.values()) {
    if (node.state !== 'DECOMMISSIONING' || node.released) continue;
    if (node.role === 'core' && (holdsNeededData(s, node.id) || holdsNeededBlocks(s, node.id))) continue;
    node.released = true;
    assert(!actions.some((x) => x.kind === 'Release' && x.nodeId === node.id), 'released twice');
    actions.push({ kind: 'Release', nodeId: node.id });
  }
}
