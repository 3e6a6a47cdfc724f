import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { blockStoreView } from '../views.js';
import type { MasterState } from '../machine/types.js';

/** Buckets for attempt durations: tasks take from milliseconds to many minutes. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

/**
 * Prometheus metrics (`/metrics`), read off the master's state when scraped: the state already
 * holds every job and attempt, so nothing has to be counted on the hot path and the figures can
 * never drift from what the status page shows. Counters stay monotonic because finished jobs and
 * attempts are kept (if they are ever pruned, their totals must be carried over here).
 */
export function createMetrics(state: () => MasterState): Registry {
  const registry = new Registry();
  const s = () => state();

  new Gauge({
    name: 'mr_nodes', help: 'Workers by role and state', labelNames: ['role', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const n of s().nodes.values()) this.inc({ role: n.role, state: n.state });
    },
  });
  new Gauge({
    name: 'mr_slots', help: 'Task slots of live workers, by role', labelNames: ['role'], registers: [registry],
    collect() {
      this.reset();
      for (const n of s().nodes.values()) if (n.state === 'ALIVE' || n.state === 'DECOMMISSIONING') this.inc({ role: n.role }, n.slots);
    },
  });
  new Gauge({
    name: 'mr_running_attempts', help: 'Attempts running now, by kind', labelNames: ['kind'], registers: [registry],
    collect() {
      this.reset();
      this.set({ kind: 'map' }, 0);
      this.set({ kind: 'reduce' }, 0);
      for (const a of s().attempts.values()) if (a.state === 'RUNNING') this.inc({ kind: a.kind });
    },
  });
  new Counter({
    name: 'mr_attempts_total', help: 'Finished attempts by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry],
    collect() {
      this.reset();
      for (const a of s().attempts.values()) if (a.state !== 'RUNNING') this.inc({ kind: a.kind, outcome: a.state });
    },
  });
  new Histogram({
    name: 'mr_attempt_duration_seconds', help: 'Durations of finished attempts, by kind and outcome', labelNames: ['kind', 'outcome'],
    buckets: DURATION_BUCKETS, registers: [registry],
    collect() {
      this.reset();
      for (const a of s().attempts.values()) {
        if (a.finishedMs !== undefined) this.observe({ kind: a.kind, outcome: a.state }, (a.finishedMs - a.startedMs) / 1000);
      }
    },
  });
  new Gauge({
    name: 'mr_jobs', help: 'Jobs by state', labelNames: ['state'], registers: [registry],
    collect() {
      this.reset();
      for (const st of ['RUNNING', 'SUCCEEDED', 'FAILED', 'KILLED']) this.set({ state: st }, 0);
      for (const j of s().jobs.values()) this.inc({ state: j.state === 'COMMITTING' ? 'RUNNING' : j.state });
    },
  });
  // the jobs' own counters, summed: bytes and records read and written
  for (const [name, counter, help] of [
    ['mr_input_bytes_total', 'inputBytes', 'Bytes read by map attempts that succeeded'],
    ['mr_input_records_total', 'inputRecords', 'Records read by map attempts that succeeded'],
    ['mr_output_records_total', 'outputRecords', 'Records written by reduce attempts that succeeded'],
    ['mr_bad_records_total', 'badRecords', 'Records jobs marked bad'],
  ] as const) {
    new Counter({
      name, help, registers: [registry],
      collect() {
        this.reset();
        let n = 0;
        for (const j of s().jobs.values()) n += j.counters[counter] ?? 0;
        this.inc(n);
      },
    });
  }
  const bs = new Gauge({
    name: 'mr_blockstore', help: 'The block store: files, blocks, bytes, under-replicated and missing blocks, blocks only on decommissioning workers', labelNames: ['what'], registers: [registry],
    collect() {
      const v = blockStoreView(s());
      bs.set({ what: 'files' }, v.files);
      bs.set({ what: 'blocks' }, v.blocks);
      bs.set({ what: 'bytes' }, v.bytes);
      bs.set({ what: 'under_replicated_blocks' }, v.underReplicatedBlocks);
      bs.set({ what: 'missing_blocks' }, v.missingBlocks);
      bs.set({ what: 'decommissioning_only_blocks' }, v.decommissioningOnlyBlocks);
      bs.set({ what: 'corrupt_replicas' }, v.corruptReplicas);
    },
  });
  return registry;
}
