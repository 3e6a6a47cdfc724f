import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shareInProcess, ShuffleClients } from './client.js';
import { ShuffleStore } from './store.js';

describe('ShuffleClients with a core worker in this process (mr run)', () => {
  const dirs: string[] = [];
  const undo: (() => void)[] = [];
  afterEach(() => {
    for (const u of undo.splice(0)) u();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'shuffle-client-'));
    dirs.push(dir);
    const store = new ShuffleStore(join(dir, 'store'));
    const clients = new ShuffleClients('token', undefined);
    const file = join(dir, 'map.out');
    writeFileSync(file, 'aaabbbbb');
    return { dir, store, clients, file };
  };
  const header = { jobId: 'j1', mapIndex: 0, attemptId: 'm0-a1', partitionBytes: [3, 5] };
  const signal = new AbortController().signal;

  it('push copies the output into its store (the file stays for other targets); segment reads it in place', async () => {
    const { dir, store, clients, file } = setup();
    undo.push(shareInProcess('127.0.0.1:7001', store));
    await clients.push('127.0.0.1:7001', header, file, signal);
    expect(readFileSync(file, 'utf8')).toBe('aaabbbbb');
    const fetchedTo = join(dir, 'seg');
    const seg = await clients.segment('127.0.0.1:7001', { jobId: 'j1', mapIndex: 0, attemptId: 'm0-a1', partition: 1 }, fetchedTo, signal);
    expect(seg.start).toBe(3);
    expect(seg.length).toBe(5);
    expect(readFileSync(seg.file).subarray(seg.start, seg.start + seg.length).toString()).toBe('bbbbb');
    expect(existsSync(fetchedTo)).toBe(false); // no copy
    await expect(clients.segment('127.0.0.1:7001', { jobId: 'j1', mapIndex: 0, attemptId: 'm9-a1', partition: 0 }, fetchedTo, signal)).rejects.toMatchObject({ code: 'MR_ERR_SHUFFLE' });
    clients.close();
  });

  it('the stored copy outlives the map output file; a push of a killed attempt stores nothing', async () => {
    const { store, clients, file } = setup();
    undo.push(shareInProcess('127.0.0.1:7002', store));
    await clients.push('127.0.0.1:7002', header, file, signal);
    rmSync(file); // the attempt's work dir goes when it ends
    const seg = await clients.segment('127.0.0.1:7002', { jobId: 'j1', mapIndex: 0, attemptId: 'm0-a1', partition: 0 }, 'unused', signal);
    expect(readFileSync(seg.file).subarray(seg.start, seg.start + seg.length).toString()).toBe('aaa');
    const killed = new AbortController();
    killed.abort();
    writeFileSync(file, 'aaabbbbb');
    await expect(clients.push('127.0.0.1:7002', { ...header, attemptId: 'm1-a1' }, file, killed.signal)).rejects.toMatchObject({ code: 'MR_ERR_ATTEMPT_KILLED' });
    expect(await store.list()).toEqual(['m0-a1']);
    clients.close();
  });

  it('once unshared (the worker stopped), the address is reached over gRPC again', async () => {
    const { store, clients, file } = setup();
    shareInProcess('127.0.0.1:1', store)();
    // nothing listens on port 1: the push fails as an unreachable peer, not as a local copy
    await expect(clients.push('127.0.0.1:1', header, file, signal)).rejects.toMatchObject({ code: 'MR_ERR_UNREACHABLE' });
    expect(await store.list()).toEqual([]);
    clients.close();
  });
});
