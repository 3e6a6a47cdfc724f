import { isThenable, MrError, type JobContext } from '@mr/shared/core';

/** User counters a job may define; the first one past the cap fails the attempt (style.md smells). */
export const MAX_USER_COUNTERS = 100;

export class Counters {
  readonly values: Record<string, number> = {};
  private userNames = 0;

  add(name: string, n: number): void {
    if (!(name in this.values)) this.userNames++;
    this.values[name] = (this.values[name] ?? 0) + n;
  }

  /** User counters are checked; framework counters are fixed names and not capped. */
  addUser(name: string, n: number): void {
    if (typeof name !== 'string' || name === '') throw new MrError('MR_ERR_USER_CODE', 'ctx.counter: name must be a non-empty string');
    if (!Number.isFinite(n)) throw new MrError('MR_ERR_USER_CODE', `ctx.counter('${name}'): n must be a finite number`);
    if (!(name in this.values) && this.userNames >= MAX_USER_COUNTERS) {
      throw new MrError('MR_ERR_USER_CODE', `ctx.counter('${name}'): a job may define at most ${MAX_USER_COUNTERS} counters`);
    }
    this.add(name, n);
  }
}

/** The user functions whose returned promise a task awaits; progress[AWAITING_SLOT] holds the index of the one awaited now (0: none). */
export const AWAITED = ['', 'map', 'reduce', 'mapSetup', 'mapCleanup', 'reduceCleanup'] as const;
export type AwaitedFn = Exclude<(typeof AWAITED)[number], ''>;
/**
 * The slot of an attempt's shared progress array that names (AWAITED) the user function whose
 * promise it waits for: the heartbeat carries it, so that a task timeout says which one never settled.
 */
export const AWAITING_SLOT = 3;

/** Awaits the promise a user function returned, with the function marked in `progress` meanwhile. */
export async function awaitUser(promise: PromiseLike<unknown>, fn: AwaitedFn, progress: Int32Array): Promise<void> {
  // unit tests pass shorter arrays: the mark is for the heartbeat only
  const marks = progress.length > AWAITING_SLOT;
  if (marks) Atomics.store(progress, AWAITING_SLOT, AWAITED.indexOf(fn));
  try {
    await promise;
  } finally {
    if (marks) Atomics.store(progress, AWAITING_SLOT, 0);
  }
}

/**
 * When a task's emit may be called: while map, reduce or a hook that emits runs, and until the
 * promise it returned settles. An emit outside that (from a timer, or a promise the function
 * neither awaited nor returned) would land in another record's output or after the output was
 * written, lost: it is not taken, and the attempt fails at its next check. It does not throw at the
 * emit, which may run where nothing catches it (a timer) and would take the thread down.
 */
export class EmitWindow {
  open = false;
  late: MrError | undefined = undefined;

  /** `fn`: the function that holds the window, named if an emit comes late. */
  constructor(public fn: AwaitedFn) {}

  closedEmit(): void {
    this.late ??= new MrError('MR_ERR_USER_CODE', `emit was called after ${this.fn} had returned or settled: return (or await) the promise of the work that emits`);
  }

  /** Throws the late emit's error, if one came. */
  check(): void {
    if (this.late) throw this.late;
  }
}

/**
 * Runs a job's hook (mapSetup, mapCleanup, reduceCleanup), awaiting the promise it returns: what
 * it throws or rejects with is the job's error. `window`: the task's emit window, open meanwhile.
 */
export async function runHook(failure: string, fn: AwaitedFn, hook: () => unknown, progress: Int32Array, window?: EmitWindow): Promise<void> {
  if (window) {
    window.fn = fn;
    window.open = true;
  }
  try {
    const r = hook();
    if (isThenable(r)) await awaitUser(r, fn, progress);
  } catch (e) {
    if (MrError.is(e)) throw e;
    throw new MrError('MR_ERR_USER_CODE', `${failure}: ${(e as Error)?.message ?? e}`, { cause: e });
  } finally {
    if (window) window.open = false;
  }
  window?.check();
}

/** The first record job code marked bad in a map attempt: reported so the master can name it. */
export interface BadRecordRef {
  offset: number;
  /** Line within the split, from 1. */
  line: number;
  reason: string;
}

/** The JobContext of one attempt; the map loop moves `offset` and `line` along as it reads. */
export class TaskContext implements JobContext {
  readonly params: Readonly<Record<string, string>>;
  offset = 0;
  /** Lines read so far in this split (the current record's line number within the split). */
  line = 0;
  firstLine: string | undefined;
  firstBad: BadRecordRef | undefined;

  constructor(
    params: Record<string, string>,
    readonly jobId: string,
    readonly taskId: string,
    readonly attempt: number,
    private readonly counters: Counters,
    readonly input?: string,
    /** Reduce task 0 of a gathering job: the pairs, or how to wait for them (read on first use). */
    private gatheredPairs: ReadonlyArray<readonly [string, unknown]> | (() => ReadonlyArray<readonly [string, unknown]>) = [],
    readonly partition: number | undefined = undefined,
  ) {
    this.params = Object.freeze({ ...params });
  }

  get gathered(): ReadonlyArray<readonly [string, unknown]> {
    if (typeof this.gatheredPairs === 'function') this.gatheredPairs = this.gatheredPairs();
    return this.gatheredPairs;
  }

  counter(name: string, n = 1): void {
    this.counters.addUser(name, n);
  }

  badRecord(reason: string): void {
    this.counters.add('badRecords', 1);
    this.firstBad ??= { offset: this.offset, line: this.line, reason: String(reason).slice(0, 200) };
  }

  headerRecord(): void {
    this.counters.add('headerRecords', 1);
  }
}
