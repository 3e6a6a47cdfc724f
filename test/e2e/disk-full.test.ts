import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, type NodeJson } from './helpers/cluster.js';
import { GUTENBERG, reapAll, waitFor } from './helpers/procs.js';

interface StatJson { size: number; blocks: { id: string; size: number; replicas: string[] }[] }
type DiskNode = NodeJson & { disk?: { freeBytes: number; reservedBytes: number; full: boolean } };

const MiB = 1024 * 1024;
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** core-1's --data: a 32 MiB tmpfs mounted here (the test runs as root); the reason it cannot be, else. */
const c = new TestCluster();
const smallDisk = join(c.dir, 'core-1');
function mountSmallDisk(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a small tmpfs for a core worker';
  try {
    mkdirSync(smallDisk, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', smallDisk], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed: ${(e as Error).message.split('\n')[0]}`;
  }
}
const cannotMount = mountSmallDisk();
// never skipped under CI: there it is a failure (beforeAll throws the reason)
if (cannotMount && !process.env.CI) console.warn(`disk-full tests skipped: ${cannotMount}`);

describe.skipIf(cannotMount !== undefined && !process.env.CI)('a core worker whose disk fills up (issue 15, item 6)', () => {
  const big = join(c.dir, 'big.bin');
  let digest = '';
  const tmpBlocks = () => readdirSync(join(smallDisk, 'blocks')).filter((n) => n.includes('.tmp-'));
  const stat = async (uri: string): Promise<StatJson> => {
    const r = await c.mr(['fs', 'stat', uri, '--json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as StatJson;
  };
  const node = async (id: string) => ((await c.nodes()) as DiskNode[]).find((n) => n.id === id);

  beforeAll(async () => {
    if (cannotMount) throw new Error(cannotMount);
    // 100 MiB of incompressible bytes, three times what the small disk holds
    const fd = openSync(big, 'w');
    for (let i = 0; i < 100; i++) writeSync(fd, randomBytes(MiB));
    closeSync(fd);
    digest = sha256(big);
    await c.startMaster();
    // a 4 MiB floor on the 32 MiB disk (the default would be 5%: 1.6 MiB)
    c.startWorker('core-1', { role: 'core', args: ['--reserved-space', '4m'] });
    await c.waitAlive(['core-1']);
  });

  afterAll(async () => {
    await reapAll(); // nothing may hold the tmpfs when it goes
    if (!cannotMount) execFileSync('umount', [smallDisk], { stdio: 'pipe' });
  });

  it('a put bigger than the only core worker\'s disk fails at once with one line; no temporary block is left; the worker serves on', async () => {
    const put = await c.mr(['fs', 'put', big, 'bs://big.bin'], 60_000);
    expect(put.code).toBe(1);
    expect(put.stderr).toMatch(new RegExp(`^mr: no space left on core-1 \\(${smallDisk}\\): [\\d.]+ (B|KiB) free\\n$`));
    expect(tmpBlocks()).toEqual([]);
    expect((await c.mr(['fs', 'ls', 'bs://big.bin'])).code).toBe(1); // abandoned: not in the namespace
    expect(readFileSync(join(c.dir, 'core-1.log'), 'utf8')).toMatch(/"code":"MR_ERR_NO_SPACE","err":"no space left on core-1[^"]*","msg":"block write failed"/);

    // the disk space came back, and the worker still takes and serves files
    const small = join(c.dir, 'small.bin');
    writeFileSync(small, randomBytes(MiB));
    expect((await c.mr(['fs', 'put', small, 'bs://small.bin'])).code).toBe(0);
    const got = join(c.dir, 'small.got');
    expect((await c.mr(['fs', 'get', 'bs://small.bin', got])).code).toBe(0);
    expect(sha256(got)).toBe(sha256(small));
    expect((await node('core-1'))?.state).toBe('ALIVE');
  });

  it('a temporary block left by a killed worker is removed when it starts again', async () => {
    await c.kill('core-1');
    writeFileSync(join(smallDisk, 'blocks', 'blk-999.tmp-1-leftover'), randomBytes(MiB));
    c.restart('core-1');
    await waitFor('core-1 back, its leftovers gone', 20_000, () => (tmpBlocks().length === 0 ? true : undefined));
    await c.waitAlive(['core-1']);
  });

  it('with a second core worker that has room, the same put (replication 1) fails over block by block and succeeds', async () => {
    c.startWorker('core-2', { role: 'core' });
    await c.waitAlive(['core-1', 'core-2']);
    const put = await c.mr(['fs', 'put', big, 'bs://big.bin', '--block-size', '10m', '--replication', '1'], 60_000);
    expect(put.code, put.stderr).toBe(0);
    const s = await stat('bs://big.bin');
    expect(s.size).toBe(100 * MiB);
    for (const b of s.blocks) expect(b.replicas).toHaveLength(1);
    // what the small disk could take went there; the rest, and every block it could not hold, to core-2
    const onCore1 = s.blocks.filter((b) => b.replicas[0] === 'core-1').reduce((n, b) => n + b.size, 0);
    expect(onCore1).toBeLessThan(32 * MiB);
    const got = join(c.dir, 'big.got');
    const get = await c.mr(['fs', 'get', 'bs://big.bin', got]);
    expect(get.code, get.stderr).toBe(0);
    expect(sha256(got)).toBe(digest);
    expect(tmpBlocks()).toEqual([]);
  });

  it('below its --reserved-space a core worker reports itself full: new blocks and map outputs go to the other one', async () => {
    const full = await waitFor('core-1 to report itself full', 20_000, async () => ((await node('core-1'))?.disk?.full ? (await node('core-1'))!.disk! : undefined));
    expect(full.reservedBytes).toBe(4 * MiB);
    expect(full.freeBytes).toBeLessThan(4 * MiB);
    const text = await c.mr(['nodes']);
    expect(text.stdout).toMatch(/core-1 +core +\S+ +ALIVE \(disk full\)/);

    const put = await c.mr(['fs', 'put', big, 'bs://again.bin', '--block-size', '16m', '--replication', '2'], 60_000);
    expect(put.code, put.stderr).toBe(0);
    for (const b of (await stat('bs://again.bin')).blocks) expect(b.replicas).toEqual(['core-2']);

    // map outputs are kept twice where two core workers have room: here only core-2 gets them
    const id = await c.submit(['wordcount', '--input', GUTENBERG, '--output', join(c.dir, 'wc'), '--reducers', '2']);
    const job = await c.waitJob(id, 60_000);
    expect(job.state, job.error).toBe('SUCCEEDED');
    expect(job.counters.mapAttempts).toBe(job.counters.mapTasks);
    expect(job.counters.failedAttempts ?? 0).toBe(0);
    expect(readFileSync(join(c.dir, 'core-1.log'), 'utf8')).not.toMatch(/map output not stored/);
  });
});
