// Master scheduling throughput on a simulated cluster of 1000 nodes (bench/sched.mjs, one process
// per run): attempts started per second of time inside step(). Every task must start exactly once.
import { join } from 'node:path';
import { fmt, median, nodeJson, ROOT } from '../lib.mjs';

const SCRIPT = join(ROOT, 'bench/sched.mjs');
/** Time inside step() a run may take before it stops (the whole job needs far more while scheduling is O(maps) per event). */
const BUDGET_MS = 20_000;

export default {
  name: 'sched',
  title: 'scheduling, 1000 nodes, 100k maps',
  target: '>= 5,000/s',
  async run({ runs }) {
    const r = [];
    for (let i = 0; i < runs; i++) r.push(await nodeJson(SCRIPT, ['--budget-ms', String(BUDGET_MS)]));
    const rate = median(r.map((x) => x.perSec));
    const bad = r.find((x) => x.duplicates > 0 || (x.done && x.assignments !== x.maps + x.reducers));
    const last = r.at(-1);
    return {
      unit: '/s',
      engine: { runs: r.map((x) => x.perSec), median: rate, details: r },
      met: rate >= 5000,
      check: bad && `${bad.duplicates} tasks started twice; ${bad.assignments} attempts for ${bad.maps + bad.reducers} tasks`,
      notes: r.some((x) => !x.done)
        ? [`stopped after ${BUDGET_MS / 1000} s inside step(): ${fmt.int(last.assignments)} of ${fmt.int(last.maps + last.reducers)} tasks started (last run); the rate is that of the job's first part`]
        : [],
    };
  },
};
