import { Command } from 'commander';
import { MasterApi } from '../master-client.js';
import { masterAddress, masterOption } from '../options.js';
import { table } from '../render/table.js';
import type { Io } from '../io.js';

/** How long ago, by this machine's clock: never a future time (the master's clock may run ahead of ours). */
export function heartbeatAge(nowMs: number, lastHeartbeatMs: number): string {
  return `${(Math.max(0, nowMs - lastHeartbeatMs) / 1000).toFixed(1)}s ago`;
}

export function nodesCommand(io: Io): Command {
  const nodes = new Command('nodes')
    .description('list the cluster\'s workers; `nodes drain NODE_ID` decommissions one')
    .addOption(masterOption())
    .option('--json', 'print JSON on stdout')
    .action(async (o: { master?: string; json?: boolean }) => {
      const api = new MasterApi(masterAddress(o.master));
      try {
        const { nodes: list } = await api.listNodes();
        if (o.json) return io.out(JSON.stringify(list));
        const now = Date.now();
        io.out(table(
          ['ID', 'ROLE', 'ADDRESS', 'STATE', 'RUNNING/SLOTS', 'LAST HEARTBEAT'],
          list.map((n) => [n.id, n.role, n.address, n.disk?.full ? `${n.state} (disk full)` : n.state, `${n.runningTasks}/${n.slots}`, heartbeatAge(now, n.lastHeartbeatMs)]),
        ));
      } finally {
        api.close();
      }
    });
  nodes
    .command('drain')
    .description('decommission a worker: no new attempts, running ones finish, then it leaves')
    .argument('<NODE_ID>', 'the worker')
    .option('--json', 'print the node as JSON on stdout')
    .action(async (nodeId: string, o: { json?: boolean }, cmd: Command) => {
      const parent = cmd.parent!.opts<{ master?: string; json?: boolean }>();
      const api = new MasterApi(masterAddress(parent.master));
      try {
        const n = await api.drainNode(nodeId);
        io.out(o.json || parent.json ? JSON.stringify(n) : `${n.id} ${n.state}`);
      } finally {
        api.close();
      }
    });
  return nodes;
}
