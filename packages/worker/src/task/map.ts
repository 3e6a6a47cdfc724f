import { join } from 'node:path';
import { defaultPartition, isThenable, MrError, type Emit, type JobDefinition, type LineBytes } from '@mr/shared/core';
import { AWAITING_SLOT, awaitUser, Counters, EmitWindow, runHook, TaskContext, type BadRecordRef } from './context.js';
import { readFirstLine, readSplitLineBytes, readSplitLines, type BytesTarget, type LineTarget, type SplitRange } from './lines.js';
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

/**
 * The last job whose map output keys were found not to repeat within a map (its sort buffer
 * stopped holding): the thread's next attempts of it do not hold at all. Holding costs a lookup per
 * record until it stops, and switching from holding to appending midway deoptimized the code that
 * emits (a flowlogs map's table drain), in every attempt.
 */
let jobWithoutRepeats: string | undefined;

/** read split -> map -> partition -> sort buffer (combine, spill) -> one sorted output file. */
export async function runMap(t: MapTask): Promise<MapResult> {
  const counters = new Counters();
  const ctx = new TaskContext(t.params, t.jobId, t.taskId, t.attempt, counters, t.split.uri);
  ctx.firstLine = t.firstLine;
  const R = t.numReducers;
  const combine = t.job.combine;
  const buffer = new SortBuffer(R, combine ? checkedCombiner(t.job, combine, ctx) : undefined, t.sortBufferBytes, t.workDir, t.jobId !== jobWithoutRepeats);
  const partition = t.job.partition ? checkedPartitioner(t.job, R, ctx.params) : defaultPartition;
  const window = new EmitWindow('map');
  const emit = (key: string, value: unknown) => {
    if (!window.open) return window.closedEmit();
    if (typeof key !== 'string') throw new MrError('MR_ERR_USER_CODE', `emit: key must be a string, got ${typeof key}`);
    buffer.add(partition(key, R), key, value);
  };
  const progress = t.progress ?? new Int32Array(AWAITING_SLOT + 1);
  // the file's first line before the first record (ctx.firstLine, for mapSetup); a split further
  // in gets it from the executor
  if (ctx.firstLine === undefined && t.split.start === 0 && (t.split.offsetBase ?? 0) === 0) ctx.firstLine = await readFirstLine(t.split.path);
  const records = new MapRecords(t, ctx, emit, window, progress);
  const { mapSetup } = t.job;
  if (mapSetup) await runHook(`mapSetup threw on ${t.split.uri}`, 'mapSetup', () => mapSetup.call(t.job, ctx), progress);
  const stats = t.job.input === 'bytes' ? await readSplitLineBytes(t.split, records) : await readSplitLines(t.split, records);
  records.reportProgress();
  window.check();
  const { mapCleanup } = t.job;
  if (mapCleanup) await runHook(`mapCleanup threw on ${t.split.uri}`, 'mapCleanup', () => mapCleanup.call(t.job, emit, ctx), progress, window);
  const outputFile = join(t.workDir, 'map.out');
  const partitionBytes = buffer.finish(outputFile);
  if (buffer.stoppedHolding) jobWithoutRepeats = t.jobId;
  counters.add('inputRecords', stats.lines);
  counters.add('inputBytes', stats.bytes);
  counters.add('mapOutputRecords', buffer.records);
  counters.add('spilledRuns', buffer.spills);
  counters.add('skippedRecords', records.skipped);
  return { outputFile, partitionBytes, counters: counters.values, ...(ctx.firstBad ? { firstBad: ctx.firstBad } : {}) };
}

/**
 * Hands each record of an attempt to the job's map: progress, the kill flag, offsets, skips and
 * errors, the same for lines and bytes. A class so that every attempt's reader calls the same
 * methods (see LineTarget).
 */
class MapRecords implements LineTarget, BytesTarget {
  skipped = 0;
  private unreported = 0;
  private readonly skip: Set<number>;
  private readonly progress: Int32Array;
  private readonly job: JobDefinition;
  /** input 'bytes': the one LineBytes view map sees, moved from line to line. */
  private readonly view: { bytes: Buffer; start: number; end: number } = { bytes: EMPTY, start: 0, end: 0 };
  /**
   * The first line is still to be read into ctx.firstLine (longer than readFirstLine looks). A
   * flag, not `offset === 0` alone: the branch then never runs in the usual case, so it is no
   * deoptimization point that each attempt's first record would hit.
   */
  private firstLinePending: boolean;

  constructor(
    private readonly t: MapTask,
    private readonly ctx: TaskContext,
    private readonly emit: (key: string, value: unknown) => void,
    private readonly window: EmitWindow,
    progress: Int32Array,
  ) {
    this.job = t.job;
    this.skip = new Set(t.skipOffsets ?? []);
    this.progress = progress;
    this.firstLinePending = ctx.firstLine === undefined;
  }

  onLine(line: string, offset: number): Promise<void> | undefined {
    if (this.firstLinePending && offset === 0) this.ctx.firstLine = line;
    return this.record(line, offset);
  }

  onBytes(buf: Buffer, start: number, end: number, offset: number): Promise<void> | undefined {
    if (this.firstLinePending && offset === 0) this.ctx.firstLine = buf.toString('utf8', start, end);
    const v = this.view;
    v.bytes = buf;
    v.start = start;
    v.end = end;
    return this.record(v, offset);
  }

  /** Adds the records not yet counted to the shared progress counter. */
  reportProgress(): void {
    this.progress[0] = (this.progress[0]! + this.unreported) | 0;
    this.unreported = 0;
  }

  /**
   * Hands one record to map. A sync map (undefined, or any value but a thenable) costs no promise;
   * one that returns a thenable gets it back as the reader's wait (see settle).
   */
  private record(record: string | LineBytes, offset: number): Promise<void> | undefined {
    // progress, the kill flag and late emits: checked once per PROGRESS_EVERY records
    if (++this.unreported === PROGRESS_EVERY) {
      this.reportProgress();
      if (this.progress[1] === 1) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
      this.window.check();
    }
    const { ctx } = this;
    ctx.line++;
    ctx.offset = offset;
    if (this.skip.size > 0 && this.skip.has(offset)) {
      this.skipped++;
      return undefined;
    }
    this.window.open = true;
    let r: unknown;
    try {
      // the record's type is the job's input: the reader runMap chose gives only that kind
      r = (this.job.map as (record: string | LineBytes, emit: Emit, ctx: TaskContext) => unknown).call(this.job, record, this.emit, ctx);
    } catch (e) {
      throw this.threw(e, offset);
    }
    if (isThenable(r)) return this.settle(r, offset);
    this.window.open = false;
    return undefined;
  }

  /**
   * An async map's record: awaited before the next one (the reader waits), its emits taken until
   * it settles. Progress is reported at once, so that the task timeout counts from the start of
   * the wait and a promise that never settles fails the attempt naming map.
   */
  private async settle(promise: PromiseLike<unknown>, offset: number): Promise<void> {
    this.reportProgress();
    try {
      await awaitUser(promise, 'map', this.progress);
    } catch (e) {
      throw this.threw(e, offset);
    } finally {
      this.window.open = false;
    }
    if (this.progress[1] === 1) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
    this.window.check();
  }

  private threw(e: unknown, offset: number): MrError {
    return new MrError('MR_ERR_USER_CODE', `map threw on ${this.t.split.uri} at byte ${offset}: ${(e as Error)?.message ?? e}`, { cause: e, record: `offset:${offset}` });
  }
}

/**
 * The job's combiner as the sort buffer calls it. It runs inside emit and the spills, which do
 * not wait: a promise (a combine that is async in all but name) is refused, where the buffer
 * would otherwise store the promise as the combined value.
 */
function checkedCombiner(job: JobDefinition, combine: NonNullable<JobDefinition['combine']>, ctx: TaskContext): (key: string, values: unknown[]) => unknown {
  return (key, values) => {
    const combined = combine.call(job, key, values, ctx);
    if (isThenable(combined)) throw new MrError('MR_ERR_USER_CODE', `combine returned a promise for key '${key.slice(0, 100)}': combine must return the combined value (it cannot be async)`);
    return combined;
  };
}

function checkedPartitioner(job: JobDefinition, R: number, params: Readonly<Record<string, string>>): (key: string, R: number) => number {
  return (key) => {
    const p = job.partition!(key, R, params);
    if (!Number.isInteger(p) || p < 0 || p >= R) {
      if (isThenable(p)) throw new MrError('MR_ERR_USER_CODE', `partition('${key}', ${R}) returned a promise; it must return the part number (it cannot be async)`);
      throw new MrError('MR_ERR_USER_CODE', `partition('${key}', ${R}) returned ${p}; it must be an integer in [0, ${R})`);
    }
    return p;
  };
}
