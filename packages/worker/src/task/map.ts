import { join } from 'node:path';
import { defaultPartition, MrError, type JobDefinition, type LineBytes } from '@mr/shared/core';
import { Counters, runHook, TaskContext, type BadRecordRef } from './context.js';
import { readSplitLineBytes, readSplitLines, type SplitRange } from './lines.js';
import { SortBuffer } from './sort-buffer.js';

export interface MapTask {
  job: JobDefinition;
  params: Record<string, string>;
  jobId: string;
  taskId: string;
  attempt: number;
  split: SplitRange & { uri: string };
  numReducers: number;
  sortBufferBytes: number;
  /** A fresh directory for this attempt's spills and output. */
  workDir: string;
  /** --skip-bad-records: byte offsets of lines to skip (user code threw on them twice). */
  skipOffsets?: number[];
  /** Grows with every record read: the attempt's progress, read by the heartbeat. */
  progress?: Int32Array;
  /** The first line of the split's file, when the split starts after it (ctx.firstLine). */
  firstLine?: string;
}

export interface MapResult {
  outputFile: string;
  partitionBytes: number[];
  counters: Record<string, number>;
  firstBad?: BadRecordRef;
}

const EMPTY = Buffer.alloc(0);

/** Records between two updates of the shared progress counter (and checks of the kill flag). */
export const PROGRESS_EVERY = 64;

/** read split -> map -> partition -> sort buffer (combine, spill) -> one sorted output file. */
export async function runMap(t: MapTask): Promise<MapResult> {
  const counters = new Counters();
  const ctx = new TaskContext(t.params, t.jobId, t.taskId, t.attempt, counters, t.split.uri);
  ctx.firstLine = t.firstLine;
  const R = t.numReducers;
  const combine = t.job.combine;
  const buffer = new SortBuffer(R, combine ? (key, values) => combine.call(t.job, key, values, ctx) : undefined, t.sortBufferBytes, t.workDir);
  const partition = t.job.partition ? checkedPartitioner(t.job, R, ctx.params) : defaultPartition;
  const emit = (key: string, value: unknown) => {
    if (typeof key !== 'string') throw new MrError('MR_ERR_USER_CODE', `emit: key must be a string, got ${typeof key}`);
    buffer.add(partition(key, R), key, value);
  };
  const skip = new Set(t.skipOffsets ?? []);
  const progress = t.progress ?? new Int32Array(2);
  let skipped = 0;
  let unreported = 0;
  const { job } = t;
  // the record is a string for input 'lines', a LineBytes for 'bytes' (the reader below chooses)
  const map = job.map as (record: string | LineBytes, e: typeof emit, c: TaskContext) => void;
  const onRecord = (record: string | LineBytes, offset: number) => {
    // progress and the kill flag live in shared memory: touched once per PROGRESS_EVERY records
    if (++unreported === PROGRESS_EVERY) {
      progress[0] = (progress[0]! + unreported) | 0;
      unreported = 0;
      if (progress[1] === 1) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
    }
    ctx.line++;
    ctx.offset = offset;
    if (skip.size > 0 && skip.has(offset)) {
      skipped++;
      return;
    }
    try {
      map.call(job, record, emit, ctx);
    } catch (e) {
      throw new MrError('MR_ERR_USER_CODE', `map threw on ${t.split.uri} at byte ${offset}: ${(e as Error)?.message ?? e}`, { cause: e, record: `offset:${offset}` });
    }
  };
  const view: { bytes: Buffer; start: number; end: number } = { bytes: EMPTY, start: 0, end: 0 }; // one LineBytes, reused line after line
  const stats = job.input === 'bytes'
    ? await readSplitLineBytes(t.split, (buf, start, end, offset) => {
      if (offset === 0) ctx.firstLine = buf.toString('utf8', start, end);
      view.bytes = buf;
      view.start = start;
      view.end = end;
      onRecord(view, offset);
    })
    : await readSplitLines(t.split, (line, offset) => {
      if (offset === 0) ctx.firstLine = line;
      onRecord(line, offset);
    });
  progress[0] = (progress[0]! + unreported) | 0;
  const { mapCleanup } = t.job;
  if (mapCleanup) runHook(`mapCleanup threw on ${t.split.uri}`, () => mapCleanup.call(t.job, emit, ctx));
  const outputFile = join(t.workDir, 'map.out');
  const partitionBytes = buffer.finish(outputFile);
  counters.add('inputRecords', stats.lines);
  counters.add('inputBytes', stats.bytes);
  counters.add('mapOutputRecords', buffer.records);
  counters.add('spilledRuns', buffer.spills);
  counters.add('skippedRecords', skipped);
  return { outputFile, partitionBytes, counters: counters.values, ...(ctx.firstBad ? { firstBad: ctx.firstBad } : {}) };
}

function checkedPartitioner(job: JobDefinition, R: number, params: Readonly<Record<string, string>>): (key: string, R: number) => number {
  return (key) => {
    const p = job.partition!(key, R, params);
    if (!Number.isInteger(p) || p < 0 || p >= R) {
      throw new MrError('MR_ERR_USER_CODE', `partition('${key}', ${R}) returned ${p}; it must be an integer in [0, ${R})`);
    }
    return p;
  };
}
