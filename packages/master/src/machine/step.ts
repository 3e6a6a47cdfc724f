import { onAttemptFailed, onAttemptOutput, onAttemptSucceeded } from './attempts.js';
import { onDrainRequested, onHandOffDone, onNodeDraining, releaseDrained } from './decommission.js';
import { onBlockCorrupt, onBlockReplicated, onBlockReport, onFsRequest } from './fs.js';
import { onJobCommitFailed, onJobCommitted, onJobSubmitted, onKillJob } from './jobs.js';
import { onHeartbeat, onMasterRecovered, onNodeDisconnected, onNodeRegistered, onTick } from './nodes.js';
import type { Action, MasterEvent, MasterState } from './types.js';

/**
 * The master's only entry point for decisions: pure and deterministic. It updates `state` (owned by
 * the caller, never shared) and returns the actions to carry out, in order. No I/O, no clock.
 */
export function step(state: MasterState, e: MasterEvent): { state: MasterState; actions: Action[] } {
  const actions = dispatch(state, e);
  releaseDrained(state, actions);
  return { state, actions };
}

function dispatch(s: MasterState, e: MasterEvent): Action[] {
  switch (e.kind) {
    case 'NodeRegistered':   return onNodeRegistered(s, e);
    case 'Heartbeat':        return onHeartbeat(s, e);
    case 'NodeDisconnected': return onNodeDisconnected(s, e);
    case 'NodeDraining':     return onNodeDraining(s, e);
    case 'DrainRequested':   return onDrainRequested(s, e);
    case 'HandOffDone':      return onHandOffDone(s, e);
    case 'Tick':             return onTick(s, e.nowMs);
    case 'MasterRecovered':  return onMasterRecovered(s, e.nowMs);
    case 'JobSubmitted':     return onJobSubmitted(s, e);
    case 'AttemptSucceeded': return onAttemptSucceeded(s, e);
    case 'AttemptFailed':    return onAttemptFailed(s, e);
    case 'AttemptOutput':    return onAttemptOutput(s, e);
    case 'JobCommitted':     return onJobCommitted(s, e);
    case 'JobCommitFailed':  return onJobCommitFailed(s, e);
    case 'KillJob':          return onKillJob(s, e);
    case 'FsRequest':        return onFsRequest(s, e);
    case 'BlockReport':      return onBlockReport(s, e);
    case 'BlockReplicated':  return onBlockReplicated(s, e);
    case 'BlockCorrupt':     return onBlockCorrupt(s, e);
  }
}
