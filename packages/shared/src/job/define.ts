/**
 * The job API (design.md "Job API", contract.md "Job modules"). `defineJob` only adds types: a
 * plain object with the same shape is a valid job too.
 */
export type Emit<K = string, V = unknown> = (key: K, value: V) => void;

/**
 * What map, reduce and the task hooks may return: nothing, or a promise (any thenable) that the
 * task awaits before it goes on to the next record, key or step. Their `emit` is valid until then:
 * an emit after the function returned (a sync one) or its promise settled fails the attempt.
 */
export type MaybePromise = void | PromiseLike<void>;

/** True for a promise or any other thenable: the one kind of return value a task awaits. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

export interface JobContext {
  /** The `--param k=v` values, after the job's own `params` check. */
  readonly params: Readonly<Record<string, string>>;
  /** Adds n (default 1) to a job counter shown in the status JSON. */
  counter(name: string, n?: number): void;
  /** The job this attempt belongs to. */
  readonly jobId: string;
  /** Task id (e.g. `m-00003`, `r-00001`) and attempt number: with jobId, different for every attempt. */
  readonly taskId: string;
  readonly attempt: number;
  /** Map attempts: the input file (URI) of the split being read. */
  readonly input?: string;
  /**
   * Map attempts: the byte offset of the current record in its file (in the decompressed stream
   * for .gz). 0 means the record is the file's first line.
   */
  readonly offset: number;
  /**
   * Map attempts: the first line of the split's file, for every split of it (a header that
   * applies to the whole file, read once per split even when the split starts mid-file), set
   * before the first record (and mapSetup). undefined for an empty file, or a first line
   * longer than 1 MiB until it is read.
   */
  readonly firstLine: string | undefined;
  /**
   * Map attempts: the current record is malformed and the job skips it. Counted in `badRecords`;
   * the first one's file and line are named if the job fails for too many (`maxBadFraction`).
   */
  badRecord(reason: string): void;
  /** Map attempts: the current record is a header, not data (counted in `headerRecords`, not in the bad fraction). */
  headerRecord(): void;
  /**
   * Reduce task 0 of a gathering job (`gather`): what reduce tasks 1..R-1 emitted, as [key, value]
   * pairs; empty elsewhere. Task 0 runs alongside the others: the first read of this waits until
   * they are all done (read it in reduceCleanup, and task 0 reduces its own keys meanwhile).
   */
  readonly gathered: ReadonlyArray<readonly [string, unknown]>;
  /** Reduce attempts: the partition (part number) this task writes. */
  readonly partition: number | undefined;
}

/** What every job defines besides its input and map (JobDefinition). */
export interface JobBase<V = any, R = any> {
  name: string;
  /**
   * Optional: folds values of one key into one, map-side; same types as `reduce` sees. Synchronous:
   * it runs inside `emit` and the sort buffer's spills, which cannot wait, so a combine that
   * returns a promise fails the attempt (an `async` one is refused at submit).
   */
  combine?(key: string, values: V[], ctx: JobContext): V;
  /**
   * May be async: a returned promise is awaited before the next key (`values` stays readable
   * until then).
   */
  reduce(key: string, values: Iterable<V>, emit: Emit<string, R>, ctx: JobContext): MaybePromise;
  /**
   * Optional: part index in [0, numReducers); default `fnv1a32(utf8(key)) mod R`. Synchronous
   * (it runs inside `emit`): a promise is refused like any other value that is not a part index.
   */
  partition?(key: string, numReducers: number, params: Readonly<Record<string, string>>): number;
  /** Optional: checks and completes `--param` values at submit; throw to refuse them. Synchronous. */
  params?(raw: Record<string, string>): Record<string, string>;
  /**
   * Optional: runs once after a map task's last record; it may emit (e.g. what the job aggregated
   * in memory per task, Hadoop's "in-mapper combining").
   */
  mapCleanup?(emit: Emit<string, V>, ctx: JobContext): MaybePromise;
  /**
   * Optional: runs once per map attempt before its first record (Hadoop's Mapper.setup), with
   * `ctx.firstLine` and `ctx.input` already set: per-attempt state built here (a parsed header, a
   * table) keeps `map` free of a first-record branch, which the JIT would otherwise compile as a
   * deoptimization point that every new attempt hits.
   */
  mapSetup?(ctx: JobContext): MaybePromise;
  /** Optional: runs once after a reduce task's last key; it may emit (e.g. a top K kept while reducing). */
  reduceCleanup?(emit: Emit<string, R>, ctx: JobContext): MaybePromise;
  /**
   * Optional, from the (checked) params: when true, reduce tasks 1..R-1 do not write what they
   * emit; they hand it to reduce task 0, which finds it in `ctx.gathered` (reading it waits for them).
   * part-00000 then holds the whole result and the other parts are empty: a global top K from
   * each reducer's own top K, without sorting everything. What is handed over goes through the
   * master: keep it small (at most MAX_GATHERED_BYTES per task).
   */
  gather?(params: Readonly<Record<string, string>>): boolean;
  /**
   * Optional, from the params: the job fails when more than this fraction of its data records
   * (input records minus header records) are bad (`ctx.badRecord`); the error names the first
   * bad file and line. Checked when the map phase ends.
   */
  maxBadFraction?(params: Readonly<Record<string, string>>): number | undefined;
  /** Optional, from the params: names of an output line's TAB-separated fields (headers of `--format table`). */
  columns?(params: Readonly<Record<string, string>>): string[];
  /**
   * Optional: plans params from a sample of the input before the job runs (a total-order
   * partitioner needs the key distribution: the `sort` job's split points). At submit, after the
   * `params` check, the submitter reads about `lines` whole lines spread evenly over the input (up
   * to SAMPLE_RANGES evenly spaced byte ranges, ranged reads from any location; a `.gz` file from
   * its start), calls `plan` with them, the number of reducers and the checked params, and merges
   * what it returns over the params. The merged params go through the `params` check again (so
   * it must accept the planned ones) and are what every task sees in `ctx.params`.
   */
  sample?: JobSample;
}

/** A job's input sample (`JobDefinition.sample`). */
export interface JobSample {
  /** About how many lines to read, at most MAX_SAMPLE_LINES. */
  lines: number;
  /** Params to merge over the job's params, from the sampled lines (each without its line break); may be async. */
  plan(sample: string[], numReducers: number, params: Readonly<Record<string, string>>): Record<string, string> | PromiseLike<Record<string, string>>;
}

/** `sample.lines` at most. */
export const MAX_SAMPLE_LINES = 1_000_000;
/** The sample comes from at most this many evenly spaced byte ranges of the input. */
export const SAMPLE_RANGES = 10;

/** A gathering reduce task may hand at most this much (JSON) to task 0. */
export const MAX_GATHERED_BYTES = 16 * 1024 * 1024;

/** A job whose map reads each line as a string (`input: 'lines'`, the default). */
export interface LinesJob<V = any, R = any> extends JobBase<V, R> {
  /** Input records: 'lines' (default) hands `map` each line without its line break, decoded as UTF-8. */
  input?: 'lines';
  /** May be async: a returned promise is awaited before the next record. */
  map(record: string, emit: Emit<string, V>, ctx: JobContext): MaybePromise;
}

/**
 * A line's bytes as `input: 'bytes'` hands them to map: bytes[start, end), as in the file (UTF-8
 * undecoded, without its line break, a trailing CR dropped). Like Hadoop's reused Text, the
 * object and the buffer (the reader's chunk) are reused for the next line: valid only during the
 * call, so copy what you keep.
 */
export interface LineBytes {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
}

/**
 * A job whose map reads each line's bytes (`input: 'bytes'`): no string and no object is made per
 * line, so a job that parses bytes itself (fields, numbers, hash keys) pays for no decoding, and
 * makes no garbage, for what it does not keep. Splits, offsets, bad records and
 * `--skip-bad-records` work line by line as with 'lines'.
 */
export interface BytesJob<V = any, R = any> extends JobBase<V, R> {
  input: 'bytes';
  /** May be async: a returned promise is awaited before the next record (the record stays valid until then). */
  map(record: LineBytes, emit: Emit<string, V>, ctx: JobContext): MaybePromise;
}

export type JobDefinition<V = any, R = any> = LinesJob<V, R> | BytesJob<V, R>;

export function defineJob<V = any, R = any>(job: BytesJob<V, R>): BytesJob<V, R>;
export function defineJob<V = any, R = any>(job: LinesJob<V, R>): LinesJob<V, R>;
export function defineJob(job: JobDefinition): JobDefinition {
  return job;
}

/** Job functions that must return their result synchronously, and why. */
const SYNC_ONLY = ['combine', 'partition', 'params', 'gather', 'maxBadFraction', 'columns'] as const;
const SYNC_ONLY_WHY: Record<(typeof SYNC_ONLY)[number], string> = {
  combine: 'it returns the combined value to emit and the spills, which cannot wait',
  partition: 'it returns the part of each emitted key inside emit',
  params: 'it checks the params at submit and returns them',
  gather: 'it is read at submit',
  maxBadFraction: 'it is read at submit',
  columns: 'it is read at submit',
};

function isAsyncFunction(f: unknown): boolean {
  return typeof f === 'function' && (f.constructor.name === 'AsyncFunction' || f.constructor.name === 'AsyncGeneratorFunction');
}

/** Why a value is not a job definition, or undefined when it is one. */
export function jobShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'the default export is not an object';
  const j = value as Record<string, unknown>;
  if (typeof j.name !== 'string' || j.name === '') return 'the job has no name';
  if (j.input !== undefined && j.input !== 'lines' && j.input !== 'bytes') return `job '${j.name}': input must be 'lines' or 'bytes'`;
  if (typeof j.map !== 'function') return `job '${j.name}' has no map function`;
  if (typeof j.reduce !== 'function') return `job '${j.name}' has no reduce function`;
  for (const f of ['combine', 'partition', 'params', 'mapSetup', 'mapCleanup', 'reduceCleanup', 'gather', 'maxBadFraction', 'columns'] as const) {
    if (j[f] !== undefined && typeof j[f] !== 'function') return `job '${j.name}': ${f} is not a function`;
  }
  // these run where nothing can wait for a promise (inside emit, a spill, the submit's checks)
  for (const f of SYNC_ONLY) {
    if (isAsyncFunction(j[f])) return `job '${j.name}': ${f} must not be async (${SYNC_ONLY_WHY[f]})`;
  }
  if (j.sample !== undefined) {
    const s = j.sample as Partial<JobSample> | null;
    if (typeof s !== 'object' || s === null || typeof s.plan !== 'function') return `job '${j.name}': sample must be { lines, plan(sample, numReducers, params) }`;
    if (!Number.isInteger(s.lines) || s.lines! < 1 || s.lines! > MAX_SAMPLE_LINES) return `job '${j.name}': sample.lines must be a whole number in 1..${MAX_SAMPLE_LINES}`;
  }
  return undefined;
}
