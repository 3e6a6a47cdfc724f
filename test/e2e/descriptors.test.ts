import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { reapAll, waitFor } from './helpers/procs.js';

/** What a process has open: every descriptor's target, `(deleted)` at the end for unlinked files. */
function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).flatMap((fd) => {
    try {
      return [readlinkSync(join(dir, fd))];
    } catch {
      return []; // closed meanwhile (the listing's own descriptor)
    }
  });
}

describe('the shuffle store closes what it opens (issue 15, item 7)', () => {
  const c = new TestCluster();
  const input = join(c.dir, 'words.txt');
  let pid = 0;

  const runJob = async (reducers: number) => {
    const id = await c.submit(['wordcount', '--input', input, '--output', join(c.dir, `out-${reducers}`), '--reducers', String(reducers)]);
    const s = await c.waitJob(id, 240_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
  };

  beforeAll(async () => {
    // a small input: most of a many-reducer job's segments are empty
    writeFileSync(input, Array.from({ length: 400 }, (_, i) => `word${i % 150} other${i % 7} and some more`).join('\n') + '\n');
    await c.startMaster();
    pid = c.startWorker('core-1', { role: 'core', slots: 2 }).pid!;
    await c.waitAlive(['core-1']);
  });
  afterAll(reapAll);

  it('after a 2000-reducer job a standing core worker holds as many descriptors as before it, none on deleted files', async () => {
    await runJob(2); // connections, threads and caches a job sets up once
    const before = openFiles(pid);
    expect(before.filter((f) => f.endsWith('(deleted)'))).toEqual([]);

    await runJob(2000);
    // the job's map outputs are dropped when it ends: nothing may still hold them open
    const after = await waitFor('the core worker back to its descriptors', 15_000, () => {
      const now = openFiles(pid);
      return now.length <= before.length + 2 && !now.some((f) => f.endsWith('(deleted)')) ? now : undefined;
    }).catch(() => openFiles(pid));
    expect(after.filter((f) => f.endsWith('(deleted)')), 'descriptors on deleted files').toEqual([]);
    expect(after.length, `open before: ${before.length}`).toBeLessThanOrEqual(before.length + 2);
  });
});
