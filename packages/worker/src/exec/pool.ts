import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { MrError } from '@mr/shared/core';
import type { ThreadInput, ThreadOutput } from './thread.js';

/** One thread per slot; a killed attempt's thread is terminated by piscina on abort. */
export class AttemptPool {
  private readonly pool: Piscina<ThreadInput, ThreadOutput>;

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
    try {
      out = await this.pool.run(input, { signal, transferList });
    } catch (e) {
      if (signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
      throw new MrError('MR_ERR_INTERNAL', `attempt thread died: ${(e as Error).message}`);
    }
    if (!out.ok) throw MrError.fromWire(out.error);
    return out;
  }

  close(): Promise<void> {
    return this.pool.close({ force: true });
  }
}
