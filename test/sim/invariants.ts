import type { Action, MasterState } from '../../packages/master/src/index.js';

/**
 * Checked after every simulated step (style.md: assert everything): one commit per task, nothing
 * assigned to a node that is not ALIVE, slots never oversubscribed, running lists consistent.
 */
const committed = new WeakMap<MasterState, Map<string, string>>();

/** Lets a recovered state (a new object) carry on the commits seen before the restart. */
export function carryCommits(from: MasterState, to: MasterState): void {
  committed.set(to, committed.get(from) ?? new Map());
}

/** Task 0 gets one record from each other task (the simulated task names itself), in task order. */
function checkGathered(job: { reduces: { index: number; id: string }[] }, attemptId: string, gathered: string[] | undefined): void {
  const want = job.reduces.filter((t) => t.index !== 0).map((t) => JSON.stringify([t.id, 1]));
  if (JSON.stringify(gathered) !== JSON.stringify(want)) throw new Error(`${attemptId} gathered ${JSON.stringify(gathered)}`);
}

export function checkInvariants(s: MasterState, actions: Action[]): void {
  let seen = committed.get(s);
  if (!seen) committed.set(s, (seen = new Map()));
  for (const a of actions) {
    if (a.kind === 'StartAttempt') {
      const node = s.nodes.get(a.nodeId);
      if (!node || node.state !== 'ALIVE') throw new Error(`assigned ${a.spec.attemptId} to ${a.nodeId} in state ${node?.state}`);
      const job = s.jobs.get(a.spec.jobId)!;
      const task = a.spec.kind === 'map' ? job.maps[a.spec.mapIndex!]! : job.reduces[a.spec.partition!]!;
      if (task.failures >= job.spec.maxAttempts) throw new Error(`${a.spec.attemptId} started after ${task.failures} failures`);
      if (a.spec.kind === 'reduce' && job.spec.gather && a.spec.partition === 0) {
        // task 0 starts with one gathered record from each other task, or waits for them
        const done = job.reduces.every((t) => t.index === 0 || t.state === 'SUCCEEDED');
        if (a.spec.gatherPending === done) throw new Error(`${a.spec.attemptId} gatherPending ${a.spec.gatherPending} with the others ${done ? '' : 'not '}done`);
        if (done) checkGathered(job, a.spec.attemptId, a.spec.gathered);
      }
      if (a.spec.kind === 'map') {
        const targets = a.spec.shuffleTargets!.map((t) => s.nodes.get(t.nodeId));
        if (targets.length === 0 || targets.some((t) => !t || t.role !== 'core' || t.state !== 'ALIVE')) throw new Error(`map ${a.spec.attemptId} stores output on a non-core or dead node`);
        const cores = [...s.nodes.values()].filter((n) => n.role === 'core' && n.state === 'ALIVE').length;
        if (new Set(targets).size !== Math.min(2, cores)) throw new Error(`map ${a.spec.attemptId} keeps ${targets.length} copies with ${cores} live cores`);
      }
    }
    if (a.kind === 'SendGathered') {
      const job = s.jobs.get(s.attempts.get(a.attemptId)!.jobId)!;
      if (job.reduces.some((t) => t.index !== 0 && t.state !== 'SUCCEEDED')) throw new Error(`${a.attemptId} sent its gathered records before the others were done`);
      checkGathered(job, a.attemptId, a.gathered);
    }
    if (a.kind === 'CommitTask') {
      // the same commit may be redone after a master restart; a second attempt never commits
      const key = `${a.jobId}/${a.partition}`;
      if (seen.has(key) && seen.get(key) !== a.attemptId) throw new Error(`task ${key} committed by ${seen.get(key)} and ${a.attemptId}`);
      seen.set(key, a.attemptId);
    }
  }
  for (const job of s.jobs.values()) {
    // the scheduler's per-phase counts match the tasks, and nothing PENDING hides below the scan hint
    for (const [kind, tasks] of [['map', job.maps], ['reduce', job.reduces]] as const) {
      const p = job.progress?.[kind];
      if (!p) continue;
      const succeeded = tasks.filter((t) => t.state === 'SUCCEEDED').length;
      const pending = tasks.filter((t) => t.state === 'PENDING');
      if (p.succeeded !== succeeded || p.pending !== pending.length) throw new Error(`${job.id} ${kind} counts ${JSON.stringify(p)} but ${succeeded} succeeded, ${pending.length} pending`);
      if (pending.some((t) => t.index < p.scanFrom)) throw new Error(`${job.id} ${kind}: a PENDING task below scanFrom ${p.scanFrom}`);
    }
  }
  for (const n of s.nodes.values()) {
    if (n.running.length > n.slots) throw new Error(`node ${n.id} runs ${n.running.length} > ${n.slots} slots`);
    if ((n.state === 'DEAD' || n.state === 'DECOMMISSIONED') && n.running.length > 0) throw new Error(`departed node ${n.id} has running attempts`);
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
      // an ended job's tasks are settled: every view of it tells the same story
      if (['SUCCEEDED', 'FAILED', 'KILLED'].includes(job.state) && (t.state === 'PENDING' || t.state === 'RUNNING')) throw new Error(`${job.id} is ${job.state} but ${t.id} is ${t.state}`);
      if ((t.state === 'FAILED' || t.state === 'KILLED') && !['FAILED', 'KILLED'].includes(job.state)) throw new Error(`${job.id}/${t.id} is ${t.state} in a ${job.state} job`);
    }
    if (job.state === 'SUCCEEDED' && !job.reduces.every((t) => seen.has(`${job.id}/${t.index}`))) {
      throw new Error(`${job.id} succeeded without every reduce committed`);
    }
  }
}
