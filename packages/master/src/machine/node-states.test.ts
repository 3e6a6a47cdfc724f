import { describe, expect, it } from 'vitest';
import { initialState } from './state.js';
import { step } from './step.js';
import type { MasterEvent, MasterState } from './types.js';

const register = (nodeId: string, role: 'core' | 'task', nowMs: number): MasterEvent =>
  ({ kind: 'NodeRegistered', nodeId, role, address: `${nodeId}:1`, slots: 2, running: [], mapOutputs: [], nowMs });
const heartbeat = (nodeId: string, nowMs: number): MasterEvent => ({ kind: 'Heartbeat', nodeId, running: [], progress: [], nowMs });

function cluster(): MasterState {
  const s = initialState({ heartbeatTimeoutMs: 5_000, recoveryGraceMs: 10_000 });
  step(s, register('core-1', 'core', 0));
  step(s, register('task-1', 'task', 0));
  step(s, heartbeat('core-1', 1_000));
  step(s, heartbeat('task-1', 1_000));
  return s;
}

describe('after a master restart: a grace period of its own, heartbeat times never in the future', () => {
  it('lastHeartbeatMs stays the last heartbeat received; the node is not DEAD before the grace ends, DEAD after', () => {
    const s = cluster();
    // the master was down for a minute: its replayed state says the last heartbeats came at 1 s
    step(s, { kind: 'MasterRecovered', nowMs: 60_000 });
    const node = s.nodes.get('task-1')!;
    expect(node.lastHeartbeatMs).toBe(1_000);
    step(s, { kind: 'Tick', nowMs: 69_000 });
    expect(node.state).toBe('ALIVE'); // 68 s without a heartbeat, but within the 10 s grace
    step(s, { kind: 'Tick', nowMs: 70_001 });
    expect(node.state).toBe('DEAD');
    expect(node.lastHeartbeatMs).toBe(1_000);
  });

  it('a node that registers again within the grace is back to the usual heartbeat timeout', () => {
    const s = cluster();
    step(s, { kind: 'MasterRecovered', nowMs: 60_000 });
    step(s, register('task-1', 'task', 61_000));
    const node = s.nodes.get('task-1')!;
    expect([node.lastHeartbeatMs, node.graceUntilMs, node.awaitingSession]).toEqual([61_000, undefined, undefined]);
    step(s, { kind: 'Tick', nowMs: 66_001 });
    expect(node.state).toBe('DEAD'); // 5 s without a heartbeat after registering: the grace no longer covers it
  });
});

describe('a drained worker that leaves is DECOMMISSIONED, not DEAD', () => {
  it('drained and disconnected (it exits when released): DECOMMISSIONED; a worker that just dies: DEAD', () => {
    const s = cluster();
    step(s, { kind: 'DrainRequested', nodeId: 'task-1', nowMs: 2_000 });
    expect(s.nodes.get('task-1')!.state).toBe('DECOMMISSIONING');
    step(s, { kind: 'NodeDisconnected', nodeId: 'task-1', nowMs: 2_500 });
    expect(s.nodes.get('task-1')!.state).toBe('DECOMMISSIONED');
    step(s, { kind: 'NodeDisconnected', nodeId: 'core-1', nowMs: 2_500 });
    expect(s.nodes.get('core-1')!.state).toBe('DEAD');
  });

  it('a draining worker (SIGTERM) that stops heartbeating: DECOMMISSIONED after the timeout, and stays so', () => {
    const s = cluster();
    step(s, { kind: 'NodeDraining', nodeId: 'core-1', nowMs: 2_000 });
    step(s, { kind: 'Tick', nowMs: 7_000 });
    expect(s.nodes.get('core-1')!.state).toBe('DECOMMISSIONED');
    for (const nowMs of [20_000, 60_000]) step(s, { kind: 'Tick', nowMs });
    expect(s.nodes.get('core-1')!.state).toBe('DECOMMISSIONED');
    // a late heartbeat does not revive it; registering again (a new worker on that id) does
    const late = step(s, heartbeat('core-1', 60_001));
    expect(late.actions).toEqual([{ kind: 'CloseSession', nodeId: 'core-1', reason: 'declared decommissioned: register again' }]);
    expect(s.nodes.get('core-1')!.state).toBe('DECOMMISSIONED');
    step(s, register('core-1', 'core', 60_002));
    expect(s.nodes.get('core-1')!).toMatchObject({ state: 'ALIVE', running: [], lastHeartbeatMs: 60_002 });
  });

  it('a DECOMMISSIONED core worker holds no replicas any more: they are not counted, nor offered to readers', () => {
    const s = cluster();
    step(s, register('core-2', 'core', 1_000));
    step(s, { kind: 'BlockReport', nodeId: 'core-1', blocks: [], nowMs: 1_000 });
    const fs = (requestId: number, op: Extract<MasterEvent, { kind: 'FsRequest' }>['op']) => step(s, { kind: 'FsRequest', requestId, op, nowMs: 1_500 });
    fs(1, { op: 'create', path: '/f', blockSize: 10, replication: 2, overwrite: false });
    const added = fs(2, { op: 'addBlock', path: '/f' }).actions[0] as { value: { id: string } };
    fs(3, { op: 'blockDone', path: '/f', blockId: added.value.id, size: 5, replicas: ['core-1', 'core-2'] });
    fs(4, { op: 'close', path: '/f' });
    step(s, { kind: 'DrainRequested', nodeId: 'core-1', nowMs: 2_000 });
    step(s, { kind: 'NodeDisconnected', nodeId: 'core-1', nowMs: 2_500 });
    expect(s.nodes.get('core-1')!.state).toBe('DECOMMISSIONED');
    expect(s.fs.blocks.get(added.value.id)!.replicas).toEqual(['core-2']);
  });
});
