import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/**
 * In a process of its own (the built code, as a worker runs it), every descriptor is used up and
 * then a stored map output and a stored block are looked up: the answer must say what ran out.
 */
const PROBE = `
import { openSync, closeSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ShuffleStore } from ${JSON.stringify(join(DIST, 'shuffle/store.js'))};
import { BlockStore } from ${JSON.stringify(join(DIST, 'blockstore/store.js'))};
import runAttempt from ${JSON.stringify(join(DIST, 'exec/thread.js'))};
const dir = process.argv[1];
const shuffle = new ShuffleStore(join(dir, 'shuffle'));
const file = join(dir, 'map.out');
writeFileSync(file, 'abc');
await shuffle.adopt('job-1', 'attempt-1', file, [3]);
const blocks = new BlockStore(join(dir, 'blocks'));
const w = blocks.writer('blk-1');
w.write(Buffer.from('block bytes'));
await w.commit();
// a reduce attempt as its thread runs it; once first, so that the job's modules are loaded
const reduce = (segments) => runAttempt({
  kind: 'reduce', job: { builtin: 'wordcount' }, params: {}, jobId: 'job-1', taskId: 'r-00000', attempt: 0, progress: new Int32Array(3),
  partition: 0, segments, outputFile: join(dir, 'part-00000'), skipKeys: [], gathered: [], gatherOutput: false,
});
const warm = await reduce([]);
if (!warm.ok) throw new Error(JSON.stringify(warm.error));
const outcome = async (f) => { try { await f(); return 'ok'; } catch (e) { return e.code + ': ' + e.message; } };
const held = [];
try { for (;;) held.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
const exhausted = {
  segment: await outcome(() => shuffle.segment('job-1', 'attempt-1', 0)),
  output: await outcome(() => shuffle.output('job-1', 'attempt-1')),
  block: await outcome(async () => { for await (const _ of blocks.read('blk-1')) {} }),
  reduce: await reduce([{ file: join(dir, 'shuffle/job-1/attempt-1.out'), start: 0, length: 3 }]).then((r) => r.ok ? 'ok' : r.error.code + ': ' + r.error.message),
};
for (const fd of held) closeSync(fd);
const missing = await outcome(() => shuffle.segment('job-1', 'attempt-2', 0));
// straight to fd 1: runAttempt, run here outside a thread, keeps what goes through process.stdout as user output
writeSync(1, JSON.stringify({ exhausted, missing }) + '\\n');
`;

describe('ShuffleStore, BlockStore and a reduce attempt out of descriptors (issue 15, item 7)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-emfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('EMFILE is a resource error, named as such, not "not stored here"; a missing output still is', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, dir], { encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(out) as { exhausted: Record<string, string>; missing: string };
    expect(r.exhausted.segment).toMatch(/^MR_ERR_RESOURCE: map output attempt-1 of job-1: out of file descriptors \(EMFILE/);
    expect(r.exhausted.output).toMatch(/^MR_ERR_RESOURCE: map output attempt-1 of job-1: out of file descriptors \(EMFILE/);
    expect(r.exhausted.block).toMatch(/^MR_ERR_RESOURCE: block blk-1: out of file descriptors \(EMFILE/);
    // a reduce attempt's thread opening its segments: the engine's own I/O, not user code failing
    expect(r.exhausted.reduce).toMatch(/^MR_ERR_RESOURCE: reduce r-00000: out of file descriptors \(EMFILE/);
    expect(r.missing).toBe('MR_ERR_SHUFFLE: map output attempt-2 of job-1 is not stored here');
  });
});
