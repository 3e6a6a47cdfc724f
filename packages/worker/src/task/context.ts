import { MrError, type JobContext } from '@mr/shared/core';

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

/** Runs a job's end-of-task hook (mapCleanup, reduceCleanup): what it throws is the job's error. */
export function runHook(failure: string, hook: () => void): void {
  try {
    hook();
  } catch (e) {
    if (MrError.is(e)) throw e;
    throw new MrError('MR_ERR_USER_CODE', `${failure}: ${(e as Error)?.message ?? e}`, { cause: e });
  }
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
