import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { MrError } from '@mr/shared/core';
import type { ThreadInput, ThreadOutput } from './thread.js';

/** How long threads still running attempts at close (asked to stop by the executor) get to end by themselves. */
const CLOSE_GRACE_MS = 2_000;

/** One thread per slot; a killed attempt's thread is terminated by piscina on abort. */
export class AttemptPool {
  private readonly pool: Piscina<ThreadInput, ThreadOutput>;
  private readonly running = new Set<Promise<ThreadOutput>>();

  constructor(slots: number) {
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('./thread.js', import.meta.url)),
      minThreads: slots,
      maxThreads: slots,
      idleTimeout: 60_000,
      // a slot's queue is bounded by the master, which never assigns more than `slots` attempts
      maxQueue: slots * 4,
    });
  }

  async run(input: ThreadInput, signal: AbortSignal, transferList: MessagePort[] = []): Promise<Extract<ThreadOutput, { ok: true }>> {
    let out: ThreadOutput;
    const task = this.pool.run(input, { signal, transferList }) as Promise<ThreadOutput>;
    this.running.add(task);
    try {
      out = await task;
    } catch (e) {
      if (signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
      throw new MrError('MR_ERR_INTERNAL', `attempt thread died: ${(e as Error).message}`);
    } finally {
      this.running.delete(task);
    }
    if (!out.ok) throw MrError.fromWire(out.error);
    return out;
  }

  /**
   * Running attempts get CLOSE_GRACE_MS to end, then every thread is terminated. Not piscina's
   * close: it waits for running tasks up to 30 s, and forever for one aborted while it closes,
   * which held `mr run`'s Ctrl-C, and a stopping worker, behind an attempt stalled in user code.
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    await this.pool.destroy();
  }
}
