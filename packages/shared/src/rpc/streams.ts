import type { EventEmitter } from 'node:events';

/**
 * Waits for a writable stream (a file, or a gRPC call) to drain, but also settles when it fails,
 * closes or is cancelled: a bare `once('drain')` hangs forever once the other side is gone.
 */
export function waitDrain(stream: EventEmitter): Promise<void> {
  // already failed, closed or cancelled (a disk that filled up, a peer gone): those events have
  // been emitted and will not come again, and nothing will ever drain
  const s = stream as { destroyed?: unknown; cancelled?: unknown; writableNeedDrain?: unknown };
  if (s.destroyed === true || s.cancelled === true || s.writableNeedDrain === false) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      for (const ev of ['drain', 'error', 'close', 'cancelled', 'finish']) stream.off(ev, done);
      resolve();
    };
    for (const ev of ['drain', 'error', 'close', 'cancelled', 'finish']) stream.once(ev, done);
  });
}
