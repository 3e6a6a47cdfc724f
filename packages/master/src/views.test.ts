import { describe, expect, it } from 'vitest';
import { initialState } from './machine/state.js';
import { step } from './machine/step.js';
import type { MasterEvent, MasterState } from './machine/types.js';
import { blockStoreView, listNodes } from './views.js';

/** Two core workers holding one file of three blocks, two replicas each. */
function store(): MasterState {
  const s = initialState();
  for (const id of ['core-1', 'core-2']) step(s, { kind: 'NodeRegistered', nodeId: id, role: 'core', address: `${id}:1`, slots: 1, running: [], mapOutputs: [], nowMs: 0 });
  let requestId = 0;
  const fs = (op: Extract<MasterEvent, { kind: 'FsRequest' }>['op']) => step(s, { kind: 'FsRequest', requestId: ++requestId, op, nowMs: 1 }).actions;
  fs({ op: 'create', path: '/data/f', blockSize: 10, replication: 2, overwrite: false });
  for (let i = 0; i < 3; i++) {
    const [reply] = fs({ op: 'addBlock', path: '/data/f' }) as [{ value: { id: string } }];
    fs({ op: 'blockDone', path: '/data/f', blockId: reply.value.id, size: 10, replicas: ['core-1', 'core-2'] });
  }
  fs({ op: 'close', path: '/data/f' });
  return s;
}

describe('the block store summary tells what a reader can get', () => {
  it('every core worker draining: the blocks are readable from them, so not missing, but counted as only on decommissioning nodes', () => {
    const s = store();
    for (const id of ['core-1', 'core-2']) step(s, { kind: 'DrainRequested', nodeId: id, nowMs: 2 });
    expect(listNodes(s).map((n) => n.state)).toEqual(['DECOMMISSIONING', 'DECOMMISSIONING']);
    expect(blockStoreView(s)).toMatchObject({ blocks: 3, missingBlocks: 0, decommissioningOnlyBlocks: 3, underReplicatedBlocks: 0 });
  });

  it('once they have left (DECOMMISSIONED), nothing holds the blocks: missing', () => {
    const s = store();
    for (const id of ['core-1', 'core-2']) step(s, { kind: 'DrainRequested', nodeId: id, nowMs: 2 });
    for (const id of ['core-1', 'core-2']) step(s, { kind: 'NodeDisconnected', nodeId: id, nowMs: 3 });
    expect(listNodes(s).map((n) => n.state)).toEqual(['DECOMMISSIONED', 'DECOMMISSIONED']);
    expect(blockStoreView(s)).toMatchObject({ blocks: 3, missingBlocks: 3, decommissioningOnlyBlocks: 0 });
  });

  it('one of two draining: the live one holds every block, at its target (capped at the one live core worker)', () => {
    const s = store();
    step(s, { kind: 'DrainRequested', nodeId: 'core-1', nowMs: 2 });
    expect(blockStoreView(s)).toMatchObject({ blocks: 3, missingBlocks: 0, decommissioningOnlyBlocks: 0, underReplicatedBlocks: 0 });
  });
});
