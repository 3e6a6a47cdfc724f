import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { MrError } from '@mr/shared/core';
import type { ThreadInput, ThreadOutput } from './thread.js';

const MIB = 1024 * 1024;

/**
 * How long close() lets running attempts (asked to stop) end by themselves before it terminates
 * their threads, and then how long it waits for the threads to exit. A thread blocked in a native
 * call (a synchronous child process, say) cannot be terminated: close() stops waiting for it.
 */
const CLOSE_GRACE_MS = 2_000;
const TERMINATE_WAIT_MS = 5_000;

/**
 * The default heap limit of an attempt's thread: a quarter of the machine's memory over the
 * worker's slots, so that its attempts together cannot take the machine (a map that allocates
 * without bound fails its attempt instead), within [256 MiB, 4 GiB] (V8's usual limit).
 */
export function defaultTaskMemoryMb(slots: number): number {
  return Math.min(4096, Math.max(256, Math.floor(totalmem() / MIB / 4 / slots)));
}

/** 512 -> "512m", 2048 -> "2g": a heap limit as --task-memory spells it. */
export function formatTaskMemory(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024}g` : `${mb}m`;
}

/**
 * One thread per slot. Threads of attempts with a heap limit other than the worker's default
 * (`--task-memory` on the job) come from a pool of their own, since a thread's limit is set when
 * it starts. A killed attempt's thread is terminated by piscina on abort and replaced; so is one
 * that ran out of its heap.
 */
export class AttemptPool {
  /** By the threads' heap limit (MiB). */
  private readonly pools = new Map<number, Piscina<ThreadInput, ThreadOutput>>();
  /** Attempts in a thread, each with what stops it here (besides its caller's signal). */
  private readonly running = new Map<Promise<unknown>, AbortController>();

  constructor(
    private readonly slots: number,
    readonly defaultMemoryMb = defaultTaskMemoryMb(slots),
    /** A thread that failed outside any attempt (piscina's 'error' event, which would otherwise throw). */
    private readonly onThreadError: (e: Error) => void = () => {},
  ) {
    this.poolFor(defaultMemoryMb);
  }

  /** Runs one attempt in a thread whose heap is limited to `memoryMb` (default: the worker's). */
  async run(input: ThreadInput, signal: AbortSignal, transferList: MessagePort[] = [], memoryMb = this.defaultMemoryMb): Promise<Extract<ThreadOutput, { ok: true }>> {
    let out: ThreadOutput;
    // the caller's signal, or close(): either terminates the thread (piscina replaces it)
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    if (signal.aborted) stop.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const run = this.poolFor(memoryMb).run(input, { signal: stop.signal, transferList });
    this.running.set(run, stop);
    try {
      out = await run;
    } catch (e) {
      if (stop.signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
      if ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const limit = formatTaskMemory(memoryMb);
        throw new MrError('MR_ERR_TASK_MEMORY', `attempt exceeded --task-memory ${limit}${memoryMb === this.defaultMemoryMb ? ' (the worker\'s default)' : ''}`);
      }
      throw new MrError('MR_ERR_INTERNAL', `attempt thread died: ${(e as Error).message}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.running.delete(run);
    }
    if (!out.ok) throw MrError.fromWire(out.error);
    return out;
  }

  /**
   * Bounded, whatever the threads do: running attempts (the caller asked them to stop) get
   * CLOSE_GRACE_MS to end, then every thread is terminated, busy or not (a `for (;;)` in job code
   * would otherwise keep close() waiting, and the process up, for ever).
   */
  async close(): Promise<void> {
    await Promise.race([Promise.allSettled(this.running.keys()), sleep(CLOSE_GRACE_MS, undefined, { ref: false })]);
    // aborted before destroy(): piscina replaces an aborted attempt's thread, and destroy() then
    // takes the replacement too (an abort after it would start threads in a destroyed pool)
    for (const stop of this.running.values()) stop.abort();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.race([Promise.allSettled(pools.map((p) => p.destroy())), sleep(TERMINATE_WAIT_MS, undefined, { ref: false })]);
  }

  private poolFor(memoryMb: number): Piscina<ThreadInput, ThreadOutput> {
    let pool = this.pools.get(memoryMb);
    if (!pool) {
      const isDefault = memoryMb === this.defaultMemoryMb;
      pool = new Piscina({
        filename: fileURLToPath(new URL('./thread.js', import.meta.url)),
        // the default pool's threads are kept warm; another limit's start when a job asks for it
        minThreads: isDefault ? this.slots : 0,
        maxThreads: this.slots,
        idleTimeout: 60_000,
        // a slot's queue is bounded by the master, which never assigns more than `slots` attempts
        maxQueue: this.slots * 4,
        resourceLimits: { maxOldGenerationSizeMb: memoryMb },
      });
      pool.on('error', (e: Error) => this.onThreadError(e));
      this.pools.set(memoryMb, pool);
    }
    return pool;
  }
}
