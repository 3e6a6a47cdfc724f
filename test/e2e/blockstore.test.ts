import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { runOracle } from '../oracle.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, readOutput } from './helpers/output.js';
import { GUTENBERG, reapAll, ROOT, tempDir, waitFor } from './helpers/procs.js';

interface StatJson { path: string; size: number; blockSize: number; replication: number; liveReplicationTarget: number; blocks: { id: string; offset: number; size: number; replicas: string[] }[] }

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const MiB = 1024 * 1024;

describe('block store (issue 4): 3 core workers, a 200 MB file in 16 MiB blocks', () => {
  const c = new TestCluster();
  const big = join(c.dir, 'big.bin');
  let digest = '';
  const stat = async (uri: string): Promise<StatJson> => {
    const r = await c.mr(['fs', 'stat', uri, '--json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as StatJson;
  };

  beforeAll(async () => {
    // 200 MiB of incompressible bytes, written in pieces (no 200 MiB buffer)
    const fd = openSync(big, 'w');
    for (let i = 0; i < 200; i++) writeSync(fd, randomBytes(MiB));
    closeSync(fd);
    digest = sha256(big);
    await c.startMaster();
    for (let i = 1; i <= 3; i++) c.startWorker(`core-${i}`, { role: 'core' });
    await c.waitAlive(['core-1', 'core-2', 'core-3']);
  });
  afterAll(reapAll);

  it('put: 13 blocks x 3 replicas on distinct workers; get returns identical bytes', async () => {
    const put = await c.mr(['fs', 'put', big, 'bs://data/big.bin', '--block-size', '16m']);
    expect(put.code, put.stderr).toBe(0);
    const s = await stat('bs://data/big.bin');
    expect(s).toMatchObject({ path: 'bs://data/big.bin', size: 200 * MiB, blockSize: 16 * MiB, replication: 3 });
    expect(s.blocks).toHaveLength(13);
    for (const [i, b] of s.blocks.entries()) {
      expect(b.offset).toBe(i * 16 * MiB);
      expect(new Set(b.replicas).size).toBe(3);
    }
    const got = join(c.dir, 'got.bin');
    const get = await c.mr(['fs', 'get', 'bs://data/big.bin', got]);
    expect(get.code, get.stderr).toBe(0);
    expect(sha256(got)).toBe(digest);
  });

  it('a flipped byte in one replica on disk: reads stay correct, the corruption is counted and the replica replaced', async () => {
    const s = await stat('bs://data/big.bin');
    const victim = s.blocks[0]!;
    const node = victim.replicas[0]!;
    const file = join(c.dir, node, 'blocks', victim.id);
    const fd = openSync(file, 'r+');
    const one = Buffer.alloc(1);
    readSync(fd, one, 0, 1, 4242);
    one[0] = one[0]! ^ 0xff;
    writeSync(fd, one, 0, 1, 4242);
    closeSync(fd);
    // read that block from every replica in turn: whichever order, the bytes are right
    for (let i = 0; i < 3; i++) {
      const got = join(c.dir, `after-corrupt-${i}.bin`);
      const r = await c.mr(['fs', 'get', 'bs://data/big.bin', got]);
      expect(r.code, r.stderr).toBe(0);
      expect(sha256(got)).toBe(digest);
    }
    await waitFor('the corrupt replica replaced', 60_000, async () => ((await stat('bs://data/big.bin')).blocks[0]!.replicas.length === 3 ? true : undefined));
    // every replica on disk is whole again
    for (const n of (await stat('bs://data/big.bin')).blocks[0]!.replicas) {
      expect(createHash('sha256').update(readFileSync(join(c.dir, n, 'blocks', victim.id))).digest('hex')).toBe(
        createHash('sha256').update(readFileSync(big).subarray(0, victim.size)).digest('hex'),
      );
    }
    const log = readFileSync(join(c.dir, 'master.1.log'), 'utf8');
    expect(log).toMatch(new RegExp(`"nodeId":"${node}","blockId":"${victim.id}","msg":"corrupt replica reported"`));
    // counted where an operator looks: the status page's block store summary
    const info = JSON.parse(readFileSync(join(c.dir, 'master', 'master.json'), 'utf8')) as { httpAddress: string };
    const summary = (await (await fetch(`http://${info.httpAddress}/api/blockstore`)).json()) as Record<string, number>;
    expect(summary).toMatchObject({ files: 1, blocks: 13, corruptReplicas: 1, underReplicatedBlocks: 0, missingBlocks: 0 });
  });

  it('kill -9 a core worker: get still returns identical bytes; 2 replicas with none to spare (and stat says so), 3 once a fourth core joins', async () => {
    await c.kill('core-1');
    await waitFor('core-1 DEAD', 20_000, async () => ((await c.nodes()).find((n) => n.id === 'core-1')?.state === 'DEAD' ? true : undefined));
    const got = join(c.dir, 'after-kill.bin');
    const r = await c.mr(['fs', 'get', 'bs://data/big.bin', got]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(got)).toBe(digest);
    const capped = await stat('bs://data/big.bin');
    expect(capped.liveReplicationTarget).toBe(2);
    for (const b of capped.blocks) expect(b.replicas.filter((n) => n !== 'core-1')).toHaveLength(b.replicas.length);
    const text = await c.mr(['fs', 'stat', 'bs://data/big.bin']);
    expect(text.stdout).toMatch(/replication 3 \(only 2 live core workers: blocks are kept at 2\)/);

    const joined = Date.now();
    c.startWorker('core-4', { role: 'core' });
    await waitFor('every block back to 3 replicas', 60_000, async () => {
      const s = await stat('bs://data/big.bin');
      return s.blocks.every((b) => b.replicas.length === 3 && !b.replicas.includes('core-1')) ? true : undefined;
    });
    console.log(`re-replication of 13 x 16 MiB blocks to a new core worker: ${Date.now() - joined} ms after it started`);
  });

  it('bad input: get of a missing path, put to an existing file, a path with ..: one-line error, nothing changed', async () => {
    const before = await c.mr(['fs', 'ls', 'bs://', '-r', '--json']);
    const missing = await c.mr(['fs', 'get', 'bs://data/nope.bin', join(c.dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('mr: bs://data/nope.bin does not exist\n');
    expect(() => statSync(join(c.dir, 'nope'))).toThrow();
    const exists = await c.mr(['fs', 'put', big, 'bs://data/big.bin']);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toBe('mr: bs://data/big.bin already exists (files are write-once)\n');
    // bs:// paths are normalised; a '..' that climbs above the root is refused before the master is asked (issue 8)
    const dots = await c.mr(['fs', 'put', big, 'bs://data/../../etc/x']);
    expect(dots.code).toBe(2);
    expect(dots.stderr).toBe("mr: bs://data/../../etc/x: '..' climbs above the block-store root (bs://)\n");
    const job = await c.mr(['submit', 'wordcount', '--input', 'bs://data/../..', '--output', 'bs://out/dots', '--json']);
    expect(job.code).toBe(2);
    expect(job.stderr).toBe("mr: bs://data/../..: '..' climbs above the block-store root (bs://)\n");
    const out = await c.mr(['submit', 'wordcount', '--input', 'bs://data', '--output', 'bs://../out', '--json']);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe("mr: bs://../out: '..' climbs above the block-store root (bs://)\n");
    const after = await c.mr(['fs', 'ls', 'bs://', '-r', '--json']);
    expect(after.stdout).toBe(before.stdout);
    expect((await stat('bs://data/big.bin')).size).toBe(200 * MiB);
  });

  it('mkdir, mv (atomic), cp between stores, cat, rm -r', async () => {
    const small = join(c.dir, 'small.txt');
    writeFileSync(small, 'hello\nblock store\n');
    expect((await c.mr(['fs', 'mkdir', 'bs://tmp/a/b'])).code).toBe(0);
    expect((await c.mr(['fs', 'cp', small, 'bs://tmp/a/b/s.txt'])).code).toBe(0);
    expect((await c.mr(['fs', 'mv', 'bs://tmp/a', 'bs://tmp/z'])).code).toBe(0);
    const cat = await c.mr(['fs', 'cat', 'bs://tmp/z/b/s.txt']);
    expect(cat.stdout).toBe('hello\nblock store\n');
    const notEmpty = await c.mr(['fs', 'rm', 'bs://tmp']);
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toMatch(/is not empty \(use -r\)/);
    expect((await c.mr(['fs', 'rm', '-r', 'bs://tmp'])).code).toBe(0);
    expect((await c.mr(['fs', 'ls', 'bs://tmp'])).code).toBe(1);
  });
});

describe('every core worker drained (issue 14): the block store summary says what a reader can get', () => {
  const c = new TestCluster();
  const local = join(c.dir, 'lines.txt');
  const text = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n'; // ~200 KB: 4 blocks of 64 KiB
  const summary = async () => (await c.api<Record<string, number>>('/api/blockstore'))!;
  beforeAll(async () => {
    writeFileSync(local, text);
    await c.startMaster();
    for (const id of ['core-1', 'core-2']) c.startWorker(id, { role: 'core' });
    await c.waitAlive(['core-1', 'core-2']);
    const put = await c.mr(['fs', 'put', local, 'bs://d/lines.txt', '--block-size', '64k']);
    expect(put.code, put.stderr).toBe(0);
  });
  afterAll(reapAll);

  it('while they drain the blocks are readable and not missing; once they have left, missing, and cat fails', async () => {
    expect(await summary()).toMatchObject({ blocks: 4, missingBlocks: 0, decommissioningOnlyBlocks: 0, underReplicatedBlocks: 0 });
    for (const id of ['core-1', 'core-2']) {
      const r = await c.mr(['nodes', 'drain', id]);
      expect(r.code, r.stderr).toBe(0);
    }
    // core-1 had every block on core-2 when drained: released, it leaves by itself; core-2 has no live
    // core worker to copy to: it keeps the only replicas, still serving reads
    const states = async () => (await c.nodes()).map((n) => [n.id, n.state]);
    await waitFor('core-1 to leave', 20_000, async () => ((await states())[0]![1] === 'DECOMMISSIONED' ? true : undefined));
    expect(await states()).toEqual([['core-1', 'DECOMMISSIONED'], ['core-2', 'DECOMMISSIONING']]);
    expect(await summary()).toMatchObject({ blocks: 4, missingBlocks: 0, decommissioningOnlyBlocks: 4 });
    const cat = await c.mr(['fs', 'cat', 'bs://d/lines.txt']);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toBe(text);

    // the end of its spot notice: the instance goes
    await c.kill('core-2');
    await waitFor('core-2 DECOMMISSIONED', 20_000, async () => ((await c.nodes()).every((n) => n.state === 'DECOMMISSIONED') ? true : undefined));
    expect(await summary()).toMatchObject({ blocks: 4, missingBlocks: 4, decommissioningOnlyBlocks: 0 });
    const lost = await c.mr(['fs', 'cat', 'bs://d/lines.txt']);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toBe('');
    expect(lost.stderr.trim().split('\n'), lost.stderr).toHaveLength(1);
    expect(lost.stderr).toMatch(/^mr: bs:\/\/d\/lines.txt: no replica of block blk-\d+ could be read \(none is live\)\n$/);
  });
});

describe('jobs on bs:// (issue 4): word count with input and output in the block store', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster();
    for (let i = 1; i <= 3; i++) c.startWorker(`core-${i}`, { role: 'core' });
    await c.waitAlive(['core-1', 'core-2', 'core-3']);
    for (const f of filesUnder(GUTENBERG)) {
      const r = await c.mr(['fs', 'put', f, `bs://books/${f.split('/').pop()}`, '--block-size', '64k']);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(reapAll);

  it('equals the reference, _SUCCESS last, and most maps are data-local', async () => {
    const r = await c.mr(['submit', 'wordcount', '--input', 'bs://books', '--output', 'bs://out/wc', '--reducers', '3', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { counters: Record<string, number> };
    expect(s.counters.mapTasks).toBeGreaterThan(40); // one per 64 KiB block
    expect(s.counters.dataLocalMaps! / s.counters.mapTasks!).toBeGreaterThan(0.5);
    const ls = JSON.parse((await c.mr(['fs', 'ls', 'bs://out/wc', '--json'])).stdout) as { path: string }[];
    expect(ls.map((e) => e.path)).toEqual(['bs://out/wc/_SUCCESS', 'bs://out/wc/part-00000', 'bs://out/wc/part-00001', 'bs://out/wc/part-00002']);
    const expected = runOracle(wordcount, filesUnder(GUTENBERG), 3);
    for (let p = 0; p < 3; p++) {
      const cat = await c.mr(['fs', 'cat', `bs://out/wc/part-0000${p}`]);
      expect(cat.stdout).toBe(expected.get(`part-0000${p}`));
    }
    const again = await c.mr(['submit', 'wordcount', '--input', 'bs://books', '--output', 'bs://out/wc', '--wait']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/output bs:\/\/out\/wc already holds _SUCCESS \(use --overwrite/);
  });

  it('chaos: kill -9 a core worker mid-job while map outputs are kept twice: right output, no map re-runs', async () => {
    const markers = tempDir('markers-');
    const out = join(c.dir, 'chaos-wc');
    const id = await c.submit([join(ROOT, 'packages/jobs/dist/testing/markers.js'), '--input', GUTENBERG, '--output', out, '--reducers', '3',
      '--param', `dir=${markers}`, '--param', 'holdMs=700', '--no-speculation']);
    await waitFor('4 maps done', 60_000, async () => ((await c.progress(id))!.mapsDone >= 4 ? true : undefined));
    await c.kill('core-2');
    const s = await c.waitJob(id, 120_000);
    expect(s.state, s.error).toBe('SUCCEEDED');
    expect(s.counters.completedMapsReexecuted).toBe(0); // every map output had a second copy
    expect(readOutput(out)).toEqual(runOracle(wordcount, filesUnder(GUTENBERG), 3));
  });
});
