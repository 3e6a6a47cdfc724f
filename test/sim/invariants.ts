import type { Action, MasterState } from '../../packages/master/src/index.js';

/**
 * Checked after every simulated step (style.md: assert everything): one commit per task, nothing
 * assigned to a node that is not ALIVE, slots never oversubscribed, running lists consistent.
 */
const committed = new WeakMap<MasterState, Set<string>>();

export function checkInvariants(s: MasterState, actions: Action[]): void {
  let seen = committed.get(s);
  if (!seen) committed.set(s, (seen = new Set()));
  for (const a of actions) {
    if (a.kind === 'StartAttempt') {
      const node = s.nodes.get(a.nodeId);
      if (!node || node.state !== 'ALIVE') throw new Error(`assigned ${a.spec.attemptId} to ${a.nodeId} in state ${node?.state}`);
      if (a.spec.kind === 'map') {
        const target = s.nodes.get(a.spec.shuffleTarget!.nodeId);
        if (!target || target.role !== 'core' || target.state !== 'ALIVE') throw new Error(`map ${a.spec.attemptId} stores output on a non-core or dead node`);
      }
    }
    if (a.kind === 'CommitTask') {
      const key = `${a.jobId}/${a.partition}`;
      if (seen.has(key)) throw new Error(`task ${key} committed twice`);
      seen.add(key);
    }
  }
  for (const n of s.nodes.values()) {
    if (n.running.length > n.slots) throw new Error(`node ${n.id} runs ${n.running.length} > ${n.slots} slots`);
    if (n.state === 'DEAD' && n.running.length > 0) throw new Error(`dead node ${n.id} has running attempts`);
    for (const id of n.running) {
      const a = s.attempts.get(id);
      if (!a || a.state !== 'RUNNING' || a.nodeId !== n.id) throw new Error(`node ${n.id} lists ${id} which is not running there`);
    }
  }
  for (const job of s.jobs.values()) {
    for (const t of [...job.maps, ...job.reduces]) {
      const runningAttempts = t.attempts.filter((id) => s.attempts.get(id)!.state === 'RUNNING').length;
      if (t.state === 'PENDING' && runningAttempts > 0) throw new Error(`${job.id}/${t.id} PENDING with running attempts`);
      if (t.state === 'RUNNING' && runningAttempts === 0 && job.state === 'RUNNING') throw new Error(`${job.id}/${t.id} RUNNING without attempts`);
      if (t.failures > job.spec.maxAttempts) throw new Error(`${job.id}/${t.id} failed more than maxAttempts`);
    }
    if (job.state === 'SUCCEEDED' && !job.reduces.every((t) => seen.has(`${job.id}/${t.index}`))) {
      throw new Error(`${job.id} succeeded without every reduce committed`);
    }
  }
}
