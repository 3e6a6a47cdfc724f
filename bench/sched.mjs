// Master scheduling throughput: the pure machine (`step(state, event)`, built dist) on a simulated
// cluster of 1000 nodes (100 core + 900 task workers, 4 slots each) and one job of 100,000 maps
// and 100 reducers. Every started attempt succeeds, in start order, as fast as events can be fed.
// perSec: attempts started per second of time spent inside step() on those AttemptSucceeded
// events (the steady state: one finishes, the next starts; the first 4000 fill the free slots at
// submit and are counted apart). A run stops early once step() has taken --budget-ms: `done` is
// then false and the rate is that of the job's first part.
//   node bench/sched.mjs [--maps N] [--reducers N] [--budget-ms MS]
//   -> {"perSec": N, "assignments": N, "stepMs": N, "done": true, "state": "SUCCEEDED", "duplicates": 0, ..}
import { parseArgs } from 'node:util';
import { initialState, step } from '../packages/master/dist/machine/index.js';

const { values: o } = parseArgs({ options: { maps: { type: 'string', default: '100000' }, reducers: { type: 'string', default: '100' }, 'budget-ms': { type: 'string', default: '20000' } } });
const CORES = 100;
const TASKS = 900;
const SLOTS = 4;
const MAPS = Number(o.maps);
const REDUCERS = Number(o.reducers);
const BUDGET_MS = Number(o['budget-ms']);

const s = initialState();
const running = []; // attempt ids, in start order (a queue: `next` is its head)
let next = 0;
let assignments = 0;
let events = 0;
let stepMs = 0; // inside step(), AttemptSucceeded events only
let setupMs = 0; // inside step(), registrations and the submit
let setupAssignments = 0;
let nowMs = 0;
let committing = false;
const started = new Set(); // task ids: each must start once (no failures here, so no retries)
let duplicates = 0;

function feed(e) {
  const t0 = performance.now();
  const { actions } = step(s, e);
  const ms = performance.now() - t0;
  if (e.kind === 'AttemptSucceeded') stepMs += ms;
  else setupMs += ms;
  events++;
  for (const a of actions) {
    if (a.kind === 'StartAttempt') {
      assignments++;
      running.push(a.spec.attemptId);
      if (started.has(a.spec.taskId)) duplicates++;
      started.add(a.spec.taskId);
    } else if (a.kind === 'CommitJob') committing = true;
  }
}

for (let i = 0; i < CORES + TASKS; i++) {
  const id = i < CORES ? `core-${i}` : `task-${i - CORES}`;
  feed({ kind: 'NodeRegistered', nodeId: id, role: i < CORES ? 'core' : 'task', address: `${id}:1`, slots: SLOTS, running: [], mapOutputs: [], nowMs });
}
const spec = {
  name: 'bench', job: { builtin: 'wordcount' }, params: {}, inputs: ['/in'], output: '/out', numReducers: REDUCERS,
  sortBufferBytes: 1 << 20, maxAttempts: 4, maxKilledAttempts: 10, taskTimeoutMs: 30_000, speculation: false, skipBadRecords: false,
};
const splits = Array.from({ length: MAPS }, (_, k) => ({ uri: `/in/part-${k}`, start: 0, length: 64 << 20 }));
feed({ kind: 'JobSubmitted', jobId: 'job-1', spec, splits, nowMs });
setupAssignments = assignments;
while (next < running.length && stepMs < BUDGET_MS) {
  feed({ kind: 'AttemptSucceeded', attemptId: running[next++], counters: { inputRecords: 1 }, nowMs: ++nowMs });
}
if (committing) feed({ kind: 'JobCommitted', jobId: 'job-1', nowMs: ++nowMs });

const job = s.jobs.get('job-1');
process.stdout.write(JSON.stringify({
  perSec: (assignments - setupAssignments) / (stepMs / 1000),
  nodes: CORES + TASKS, slots: SLOTS, maps: MAPS, reducers: REDUCERS,
  assignments, setupAssignments, setupMs, stepMs, events,
  done: job.state === 'SUCCEEDED', state: job.state, duplicates,
}) + '\n');
