import { Command } from 'commander';
import { MasterApi } from '../master-client.js';
import { masterAddress } from '../options.js';
import { table } from '../render/table.js';
import type { Io } from '../io.js';

export function nodesCommand(io: Io): Command {
  return new Command('nodes')
    .description('list the cluster\'s workers')
    .option('--master <HOST:PORT>', 'the master (default: MR_MASTER, or the local master)')
    .option('--json', 'print JSON on stdout')
    .action(async (o: { master?: string; json?: boolean }) => {
      const api = new MasterApi(masterAddress(o.master));
      try {
        const { nodes } = await api.listNodes();
        if (o.json) return io.out(JSON.stringify(nodes));
        const now = Date.now();
        io.out(table(
          ['ID', 'ROLE', 'ADDRESS', 'STATE', 'RUNNING/SLOTS', 'LAST HEARTBEAT'],
          nodes.map((n) => [n.id, n.role, n.address, n.state, `${n.runningTasks}/${n.slots}`, `${((now - n.lastHeartbeatMs) / 1000).toFixed(1)}s ago`]),
        ));
      } finally {
        api.close();
      }
    });
}
