import type { wire } from '@mr/shared';

/** contract.md "Status JSON": exactly these fields, in this order. */
export interface StatusJson {
  id: string;
  name: string;
  state: string;
  error?: string;
  counters: Record<string, number>;
  startedAt: string;
  finishedAt?: string;
  elapsedMs: number;
}

export function statusJson(s: wire.JobStatus): StatusJson {
  return {
    id: s.id,
    name: s.name,
    state: s.state,
    ...(s.error ? { error: s.error } : {}),
    counters: s.counters,
    startedAt: s.startedAt,
    ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
    elapsedMs: s.elapsedMs,
  };
}

/** A count with thousands separators (1,234,567): by hand, since toLocaleString's first call loads ICU data (~20 ms of every `mr run`). */
const n = (x: number | undefined) => String(x ?? 0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function bytes(x: number | undefined): string {
  const v = x ?? 0;
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let u = -1;
  let y = v;
  do {
    y /= 1024;
    u++;
  } while (y >= 1024 && u < units.length - 1);
  return `${y.toFixed(1)} ${units[u]}`;
}

/** The short human summary `mr run` and `mr submit --wait` print on success. */
export function summary(s: wire.JobStatus, output: string): string {
  const c = s.counters;
  const lines = [
    `job ${s.id} (${s.name}) ${s.state} in ${(s.elapsedMs / 1000).toFixed(2)} s`,
    `  map:    ${n(c.mapTasks)} tasks, ${n(c.mapAttempts)} attempts; read ${bytes(c.inputBytes)}, ${n(c.inputRecords)} records`,
    `  reduce: ${n(c.reduceTasks)} tasks, ${n(c.reduceAttempts)} attempts; wrote ${n(c.outputRecords)} records`,
  ];
  if (c.failedAttempts || c.killedAttempts) lines.push(`  retries: ${n(c.failedAttempts)} failed, ${n(c.killedAttempts)} killed attempts`);
  lines.push(`  output: ${output}`);
  return lines.join('\n');
}
