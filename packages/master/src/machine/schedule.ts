import { failJob, attemptOutputDir } from './attempts.js';
import { addCounter, aliveCores, assert, freeSlots } from './state.js';
import type { Action, Attempt, AttemptSpec, Job, MasterState, NodeInfo, Task } from './types.js';

/**
 * Assigns pending tasks to free slots: jobs in submission order; a job's reduces only once all
 * its maps have succeeded. Each task goes to the node with the most free slots, avoiding nodes
 * where it already failed while another node is free. Called after every event.
 */
export function schedule(s: MasterState, nowMs: number): Action[] {
  const actions: Action[] = [];
  const free = [...s.nodes.values()].filter((n) => freeSlots(n) > 0);
  for (const jobId of s.jobOrder) {
    if (free.length === 0) break;
    const job = s.jobs.get(jobId)!;
    if (job.state !== 'RUNNING') continue;
    const mapsDone = job.maps.every((t) => t.state === 'SUCCEEDED');
    for (const task of mapsDone ? job.reduces : job.maps) {
      if (task.state !== 'PENDING') continue;
      const node = pickNode(free, task);
      if (!node) break;
      let shuffleTarget: NodeInfo | undefined;
      if (task.kind === 'map') {
        shuffleTarget = pickShuffleTarget(s);
        if (!shuffleTarget) {
          failJob(s, job, 'no core worker is alive to hold shuffle data (start a worker with --role core)', nowMs, actions);
          break;
        }
      }
      actions.push(launch(s, job, task, node, shuffleTarget, nowMs));
      if (freeSlots(node) === 0) free.splice(free.indexOf(node), 1);
      if (free.length === 0) break;
    }
  }
  return actions;
}

function pickNode(free: NodeInfo[], task: Task): NodeInfo | undefined {
  let best: NodeInfo | undefined;
  let bestScore = -Infinity;
  for (const n of free) {
    // a node where this task failed before is used only when no other node is free
    const score = freeSlots(n) - (task.failedOn.includes(n.id) ? 1e6 : 0);
    if (score > bestScore) ((best = n), (bestScore = score));
  }
  return best;
}

/** Round-robin over live core workers, so map outputs spread evenly. */
function pickShuffleTarget(s: MasterState): NodeInfo | undefined {
  const cores = aliveCores(s);
  if (cores.length === 0) return undefined;
  return cores[s.shuffleCursor++ % cores.length];
}

function launch(s: MasterState, job: Job, task: Task, node: NodeInfo, shuffleTarget: NodeInfo | undefined, nowMs: number): Action {
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
    ...(shuffleTarget ? { shuffleTarget: shuffleTarget.id } : {}),
  };
  s.attempts.set(id, attempt);
  task.attempts.push(id);
  task.state = 'RUNNING';
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
  };
  if (task.kind === 'map') {
    spec.mapIndex = task.index;
    spec.split = task.split;
    spec.shuffleTarget = { nodeId: shuffleTarget!.id, address: shuffleTarget!.address };
  } else {
    spec.partition = task.index;
    spec.output = job.spec.output;
    spec.attemptOutput = attemptOutputDir(job.spec.output, id);
    spec.mapOutputs = job.maps.map((m) => {
      const holder = m.outputNode ? s.nodes.get(m.outputNode) : undefined;
      assert(m.winner && holder && holder.state !== 'DEAD', `reduce launched before map ${m.id} has live output`);
      return { mapIndex: m.index, attemptId: m.winner, nodeId: holder.id, address: holder.address };
    });
  }
  return { kind: 'StartAttempt', nodeId: node.id, spec };
}
