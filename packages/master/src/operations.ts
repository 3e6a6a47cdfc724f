import { MrError } from '@mr/shared';
import type { Driver } from './driver/loop.js';
import { jobView, listNodes, type JobView, type NodeView } from './views.js';

/**
 * What an operator may change, for the gRPC service and the web UI alike: one place decides what
 * a kill or a drain means and what it answers.
 */
export async function killJob(driver: Driver, jobId: string, nowMs: number): Promise<JobView> {
  await driver.ask((requestId) => ({ kind: 'KillJob', jobId, requestId, nowMs }));
  return jobView(driver.state.jobs.get(jobId)!, nowMs);
}

export async function drainNode(driver: Driver, nodeId: string, nowMs: number): Promise<NodeView> {
  const node = driver.state.nodes.get(nodeId);
  if (!node) throw new MrError('MR_ERR_NODE_NOT_FOUND', `no node ${nodeId}`);
  if (node.state === 'DEAD' || node.state === 'DECOMMISSIONED') throw new MrError('MR_ERR_NODE_NOT_FOUND', `node ${nodeId} is ${node.state}`);
  await driver.dispatch({ kind: 'DrainRequested', nodeId, nowMs });
  return listNodes(driver.state).find((n) => n.id === nodeId)!;
}
