import { onAttemptFailed, onAttemptSucceeded } from './attempts.js';
import { onJobCommitFailed, onJobCommitted, onJobSubmitted } from './jobs.js';
import { onHeartbeat, onNodeDisconnected, onNodeRegistered, onTick } from './nodes.js';
import type { Action, MasterEvent, MasterState } from './types.js';

/**
 * The master's only entry point for decisions: pure and deterministic. It updates `state` (owned by
 * the caller, never shared) and returns the actions to carry out, in order. No I/O, no clock.
 */
export function step(state: MasterState, e: MasterEvent): { state: MasterState; actions: Action[] } {
  return { state, actions: dispatch(state, e) };
}

function dispatch(s: MasterState, e: MasterEvent): Action[] {
  switch (e.kind) {
    case 'NodeRegistered':   return onNodeRegistered(s, e);
    case 'Heartbeat':        return onHeartbeat(s, e);
    case 'NodeDisconnected': return onNodeDisconnected(s, e);
    case 'Tick':             return onTick(s, e.nowMs);
    case 'JobSubmitted':     return onJobSubmitted(s, e);
    case 'AttemptSucceeded': return onAttemptSucceeded(s, e);
    case 'AttemptFailed':    return onAttemptFailed(s, e);
    case 'JobCommitted':     return onJobCommitted(s, e);
    case 'JobCommitFailed':  return onJobCommitFailed(s, e);
  }
}
