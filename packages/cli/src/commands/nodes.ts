import { Command } from 'commander';
import { MasterApi } from '../master-client.js';
import { masterAddress } from '../options.js';
import { table } from '../render/table.js';
import type { Io } from '../io.js';

export function nodesCommand(io: Io): Command {
  const nodes = new Command('nodes')
    .description('list the cluster\'s workers; `nodes drain NODE_ID` decommissions one')
    .option('--master <HOST:PORT>', 'the master (default: MR_MASTER, or the local master)')
    .option('--json', 'print JSON on stdout')
    .action(async (o: { master?: string; json?: boolean }) => {
      const api = new MasterApi(masterAddress(o.master));
      try {
        const { nodes: list } = await api.listNodes();
        if (o.json) return io.out(JSON.stringify(list));
        const now = Date.now();
        io.out(table(
          ['ID', 'ROLE', 'ADDRESS', 'STATE', 'RUNNING/SLOTS', 'LAST HEARTBEAT'],
          list.map((n) => [n.id, n.role, n.address, n.disk?.full ? `${n.state} (disk full)` : n.state, `${n.runningTasks}/${n.slots}`, `${((now - n.lastHeartbeatMs) / 1000).toFixed(1)}s ago`]),
        ));
      } finally {
        api.close();
      }
    });
  nodes
    .command('drain')
    .description('decommission a worker: no new attempts, running ones finish, then it leaves')
    .argument('<NODE_ID>', 'the worker')
    .option('--master <HOST:PORT>', 'the master (default: MR_MASTER, or the local master)')
    .option('--json', 'print the node as JSON on stdout')
    .action(async (nodeId: string, o: { master?: string; json?: boolean }, cmd: Command) => {
      const parent = cmd.parent!.opts<{ master?: string; json?: boolean }>();
      const api = new MasterApi(masterAddress(o.master ?? parent.master));
      try {
        const n = await api.drainNode(nodeId);
        io.out(o.json || parent.json ? JSON.stringify(n) : `${n.id} ${n.state}`);
      } finally {
        api.close();
      }
    });
  return nodes;
}
