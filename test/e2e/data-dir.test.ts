import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { exited, mr, reapAll, waitFor } from './helpers/procs.js';

const lockOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'in_use.lock'), 'utf8')) as { holder: string; pid: number };

describe('a --data dir belongs to one process (issue 15, item 9)', () => {
  const c = new TestCluster();
  const masterData = join(c.dir, 'master');
  const coreData = join(c.dir, 'core-1');

  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    await c.waitAlive(['core-1']);
  });
  afterAll(reapAll);

  it('a second worker or master on a dir in use is refused with one line naming the holder, exit 1', async () => {
    const holder = c.workers.get('core-1')!.pid!;
    const worker = await mr(['worker', '--master', c.master, '--role', 'core', '--id', 'core-2', '--data', coreData], { env: c.env, timeoutMs: 20_000 });
    expect(worker.code).toBe(1);
    expect(worker.stderr).toBe(`mr: --data ${coreData} is in use by worker core-1 (pid ${holder})\n`);
    // the holder's node id is untouched and it is the only node listed
    expect((await c.nodes()).map((n) => n.id)).toEqual(['core-1']);

    const master = await mr(['master', '--port', '0', '--http-port', '0', '--data', masterData], { env: c.env, timeoutMs: 20_000 });
    expect(master.code).toBe(1);
    expect(master.stderr).toBe(`mr: --data ${masterData} is in use by master (pid ${c.masterProc!.pid})\n`);
    // a worker given the master's dir is refused too: the lock is per dir, whatever the role
    const cross = await mr(['worker', '--master', c.master, '--role', 'core', '--data', masterData], { env: c.env, timeoutMs: 20_000 });
    expect(cross.code).toBe(1);
    expect(cross.stderr).toBe(`mr: --data ${masterData} is in use by master (pid ${c.masterProc!.pid})\n`);
  });

  it('a SIGKILLed holder leaves no stale lock: the worker and the master start again on the same dirs at once', async () => {
    await c.kill('core-1');
    const again = c.restart('core-1');
    await waitFor('the restarted core-1 to hold its dir', 20_000, () => (lockOf(coreData).pid === again.pid ? true : undefined));
    expect(lockOf(coreData).holder).toBe('worker core-1');
    expect(again.exitCode).toBeNull();

    const port = Number(c.master.split(':').pop());
    c.masterProc!.kill('SIGKILL');
    await exited(c.masterProc!);
    await c.startMaster(port);
    expect(lockOf(masterData)).toEqual({ holder: 'master', pid: c.masterProc!.pid });
    await c.waitAlive(['core-1']);
  });
});
