import type { Command } from 'commander';
import { blockStoreSession, type BlockStoreSession } from '../../locations.js';

/**
 * A verb's action with a block-store session that connects on first use (local files and s3://
 * need no master) and is closed however the action ends. The session reads `mr fs --master`.
 */
export function withSession<A extends unknown[]>(fn: (ctx: BlockStoreSession, ...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const ctx = blockStoreSession(() => cmd.optsWithGlobals<{ master?: string }>().master);
    try {
      await fn(ctx, ...args);
    } finally {
      ctx.close();
    }
  };
}
