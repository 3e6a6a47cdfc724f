import { isErrorCode, MrError, systemClock, toMrError, type Clock, type Logger } from '@mr/shared';
import type { Journal } from '../journal/journal.js';
import { step } from '../machine/step.js';
import type { Action, Attempt, FsOp, MasterEvent, MasterState } from '../machine/types.js';

/** Where the driver's actions go: the worker sessions and the output file system. Tests pass fakes. */
export interface Effects {
  startAttempt(a: Extract<Action, { kind: 'StartAttempt' }>): void;
  killAttempt(a: Extract<Action, { kind: 'KillAttempt' }>): void;
  sendGathered(a: Extract<Action, { kind: 'SendGathered' }>): void;
  sendDrain(a: Extract<Action, { kind: 'SendDrain' }>): void;
  closeSession(a: Extract<Action, { kind: 'CloseSession' }>): void;
  handOff(a: Extract<Action, { kind: 'HandOff' }>): void;
  release(a: Extract<Action, { kind: 'Release' }>): void;
  replicateBlock(a: Extract<Action, { kind: 'ReplicateBlock' }>): void;
  deleteBlocks(a: Extract<Action, { kind: 'DeleteBlocks' }>): void;
  commitTask(a: Extract<Action, { kind: 'CommitTask' }>): Promise<void>;
  commitJob(a: Extract<Action, { kind: 'CommitJob' }>): Promise<void>;
  abortAttempt(a: Extract<Action, { kind: 'AbortAttempt' }>): Promise<void>;
  abortJob(a: Extract<Action, { kind: 'AbortJob' }>): Promise<void>;
  abortUpload(a: Extract<Action, { kind: 'AbortUpload' }>): Promise<void>;
  dropShuffle(a: Extract<Action, { kind: 'DropShuffle' }>): void;
  jobFinished(a: Extract<Action, { kind: 'JobFinished' }>): void;
}

/**
 * The only code around the machine that touches time and I/O (style.md: raft's Ready loop).
 * Events are processed one at a time, in arrival order: step, then each action in order. An
 * action's result that the machine must know (a job commit) comes back as a new event.
 */
export class Driver {
  readonly state: MasterState;
  private tail: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly effects: Effects,
    private readonly log: Logger,
    state: MasterState,
    private readonly journal?: Journal,
    readonly clock: Clock = systemClock,
  ) {
    this.state = state;
  }

  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextRequest = 0;

  /** A namespace request: resolves with the machine's Reply (or rejects with its coded error). */
  request<T>(op: FsOp): Promise<T> {
    return this.ask<T>((requestId) => ({ kind: 'FsRequest', requestId, op, nowMs: this.clock.nowMs() }));
  }

  /** Dispatches an event that the machine answers with a Reply action carrying its requestId. */
  ask<T>(make: (requestId: number) => MasterEvent): Promise<T> {
    const requestId = ++this.nextRequest;
    const answer = new Promise<T>((resolve, reject) => this.pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject }));
    void this.dispatch(make(requestId)).catch((e: unknown) => {
      this.pending.get(requestId)?.reject(e);
      this.pending.delete(requestId);
    });
    return answer;
  }

  /** Queues an event; resolves once it and its actions have been carried out. */
  dispatch(e: MasterEvent): Promise<void> {
    const run = this.tail.then(() => this.process(e));
    // many callers do not await: a failure is logged here rather than crashing the process
    this.tail = run.catch((err: unknown) => this.log.error({ event: e.kind, err: toMrError(err).message }, 'event failed'));
    return run;
  }

  startTicking(everyMs: number): void {
    this.ticker = setInterval(() => void this.dispatch({ kind: 'Tick', nowMs: this.clock.nowMs() }), everyMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.tail;
  }

  private async process(e: MasterEvent): Promise<void> {
    const reported = e.kind === 'AttemptFailed' || e.kind === 'AttemptSucceeded' ? this.state.attempts.get(e.attemptId) : undefined;
    const wasRunning = reported?.state === 'RUNNING';
    // step first: an event the machine rejects (a bug) is not journaled, so replay cannot trip on it
    const { actions } = step(this.state, e);
    this.journal?.append(e);
    if (this.journal?.snapshotDue) this.journal.snapshot(this.state);
    if (reported && wasRunning) this.logReport(e, reported);
    for (const a of actions) {
      try {
        await this.execute(a);
      } catch (err) {
        const error = toMrError(err).message;
        this.log.error({ action: a.kind, err: error }, 'action failed');
        if (a.kind === 'CommitTask' || a.kind === 'CommitJob') {
          void this.dispatch({ kind: 'JobCommitFailed', jobId: a.jobId, error, nowMs: this.clock.nowMs() });
        }
      }
    }
  }

  /** An attempt's end as reported by its worker, with the ids to find it by (jobId, taskId, attemptId). */
  private logReport(e: MasterEvent, a: Attempt): void {
    const ids = { jobId: a.jobId, taskId: a.taskId, attemptId: a.id, nodeId: a.nodeId };
    if (e.kind === 'AttemptSucceeded') this.log.debug({ ...ids, ms: (a.finishedMs ?? 0) - a.startedMs }, 'attempt succeeded');
    else if (e.kind === 'AttemptFailed') this.log.warn({ ...ids, err: e.error, state: a.state, outputBytes: e.stderr?.length ?? 0 }, e.lost ? 'attempt lost' : 'attempt failed');
  }

  private async execute(a: Action): Promise<void> {
    switch (a.kind) {
      case 'StartAttempt':
        this.log.debug({ jobId: a.spec.jobId, taskId: a.spec.taskId, attemptId: a.spec.attemptId, nodeId: a.nodeId }, 'attempt assigned');
        return this.effects.startAttempt(a);
      case 'KillAttempt': {
        const at = this.state.attempts.get(a.attemptId);
        this.log.info({ ...(at ? { jobId: at.jobId, taskId: at.taskId } : {}), attemptId: a.attemptId, nodeId: a.nodeId, reason: a.reason }, 'killing attempt');
        return this.effects.killAttempt(a);
      }
      case 'SendDrain':
        return this.effects.sendDrain(a);
      case 'SendGathered':
        return this.effects.sendGathered(a);
      case 'CloseSession':
        return this.effects.closeSession(a);
      case 'HandOff':
        return this.effects.handOff(a);
      case 'Release':
        return this.effects.release(a);
      case 'ReplicateBlock':
        return this.effects.replicateBlock(a);
      case 'DeleteBlocks':
        return this.effects.deleteBlocks(a);
      case 'Reply': {
        const pending = this.pending.get(a.requestId);
        this.pending.delete(a.requestId);
        if (a.ok) pending?.resolve(a.value);
        else pending?.reject(new MrError(isErrorCode(a.code) ? a.code : 'MR_ERR_INTERNAL', a.message));
        return;
      }
      case 'CommitTask':
        return this.effects.commitTask(a);
      case 'CommitJob': {
        const startMs = this.clock.nowMs();
        await this.effects.commitJob(a);
        this.log.info({ jobId: a.jobId, output: a.output, parts: a.numReducers, ms: this.clock.nowMs() - startMs }, 'job output committed');
        void this.dispatch({ kind: 'JobCommitted', jobId: a.jobId, nowMs: this.clock.nowMs() });
        return;
      }
      case 'AbortAttempt':
        return this.effects.abortAttempt(a);
      case 'AbortJob':
        return this.effects.abortJob(a);
      case 'AbortUpload':
        return this.effects.abortUpload(a);
      case 'DropShuffle':
        return this.effects.dropShuffle(a);
      case 'JobFinished':
        return this.effects.jobFinished(a);
    }
  }
}
