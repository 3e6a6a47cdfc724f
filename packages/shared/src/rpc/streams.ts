import type { EventEmitter } from 'node:events';

/**
 * Waits for a writable stream (a file, or a gRPC call) to drain, but also settles when it fails,
 * closes or is cancelled: a bare `once('drain')` hangs forever once the other side is gone.
 */
export function waitDrain(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const ev of ['drain', 'error', 'close', 'cancelled', 'finish']) stream.off(ev, done);
      resolve();
    };
    for (const ev of ['drain', 'error', 'close', 'cancelled', 'finish']) stream.once(ev, done);
  });
}
