import { plural, thousands, type wire } from '@mr/shared';

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

const count = (x: number | undefined, noun: string) => plural(x ?? 0, noun);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export interface SummaryOptions {
  /** The job ran with --skip-bad-records: say how many records it skipped, even none. */
  skipBadRecords?: boolean;
}

/** `  label:   value`, values in one column `width` wide after the indent. */
const row = (label: string, value: string, width: number) => `  ${`${label}:`.padEnd(width)}${value}`;

/** What the job read and wrote, per phase, and what went wrong on the way: lines shared by the summary and `mr status JOB`. */
function phaseLines(s: wire.JobStatus, o: SummaryOptions, width: number): string[] {
  const c = s.counters;
  const lines = [
    row('map', `${count(c.mapTasks, 'task')}, ${count(c.mapAttempts, 'attempt')}; read ${bytes(c.inputBytes)}, ${count(c.inputRecords, 'record')}`, width),
    row('reduce', `${count(c.reduceTasks, 'task')}, ${count(c.reduceAttempts, 'attempt')}; wrote ${count(c.outputRecords, 'record')}`, width),
  ];
  if (c.failedAttempts || c.killedAttempts) lines.push(row('retries', `${count(c.failedAttempts, 'failed attempt')}, ${count(c.killedAttempts, 'killed attempt')}`, width));
  if (o.skipBadRecords || c.skippedRecords) lines.push(row('skipped', `${count(c.skippedRecords, 'record')} on which user code threw twice (--skip-bad-records)`, width));
  if (c.badRecords) lines.push(row('bad', `${count(c.badRecords, 'record')} the job marked bad and skipped`, width));
  return lines;
}

/** The short human summary `mr run` and `mr submit --wait` print on success. */
export function summary(s: wire.JobStatus, output: string, o: SummaryOptions = {}): string {
  return [`job ${s.id} (${s.name}) ${s.state} in ${seconds(s.elapsedMs)}`, ...phaseLines(s, o, 9), row('output', output, 9)].join('\n');
}

/** `2026-11-29T07:36:42.123Z` -> `2026-11-29 07:36:42 UTC`. */
const when = (iso: string) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : '-');

function paramsText(json: string): string {
  let params: Record<string, string> = {};
  try {
    params = JSON.parse(json || '{}') as Record<string, string>;
  } catch {
    // a master of an earlier version sends none
  }
  const pairs = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? '(none)' : pairs.join(' ');
}

/** `mr status JOB` without --json: the job's state, times, what it was given, its progress and every counter. */
export function jobDetails(s: wire.JobStatus): string {
  const ended = s.state === 'SUCCEEDED' || s.state === 'FAILED' || s.state === 'KILLED';
  const w = 10;
  const lines = [
    `job ${s.id} (${s.name}) ${s.state} ${ended ? 'in' : 'for'} ${seconds(s.elapsedMs)}`,
    ...(s.error ? [row('error', s.error, w)] : []),
    row('started', when(s.startedAt), w),
    ...(s.finishedAt ? [row('finished', when(s.finishedAt), w)] : []),
    row('input', s.inputs.length > 0 ? s.inputs.join(' ') : '-', w),
    row('output', `${s.output || '-'} (${count(s.reducesTotal, 'reducer')})`, w),
    row('params', paramsText(s.paramsJson), w),
    row('progress', `map ${s.mapsDone}/${s.mapsTotal}, reduce ${s.reducesDone}/${s.reducesTotal} (tasks done/all)`, w),
    ...phaseLines(s, {}, w),
    row('counters', '', w).trimEnd(),
  ];
  const names = Object.keys(s.counters).sort();
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const name of names) lines.push(`    ${name.padEnd(width)}  ${thousands(s.counters[name]!)}`);
  return lines.join('\n');
}
