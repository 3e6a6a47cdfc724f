import { MrError, type JobContext } from '@mr/shared';

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

export function makeContext(params: Record<string, string>, jobId: string, taskId: string, attempt: number, counters: Counters, input?: string): JobContext {
  return Object.freeze({
    params: Object.freeze({ ...params }),
    jobId,
    taskId,
    attempt,
    ...(input !== undefined ? { input } : {}),
    counter: (name: string, n = 1) => counters.addUser(name, n),
  });
}
