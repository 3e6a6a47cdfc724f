/**
 * Outputs decided at commit as well as at submit (issue 15): what changed while a job ran is
 * looked at again when it commits. Real processes: `mr run`s side by side, a standing cluster.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestCluster } from './helpers/cluster.js';
import { partLines } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, tempDir, waitFor } from './helpers/procs.js';

afterAll(reapAll);

/** A word count whose maps first touch `marker`, then wait `ms`: a job that is surely running for a while. */
function slowWordCount(dir: string, marker: string, ms: number): string {
  const file = join(dir, `slow-${ms}.mjs`);
  writeFileSync(file, `import { writeFileSync } from 'node:fs';
export default {
  name: 'slow-wc',
  mapSetup() { writeFileSync(${JSON.stringify(marker)}, ''); const until = Date.now() + ${ms}; while (Date.now() < until); },
  map(line, emit) { for (const w of line.match(/\\p{L}+/gu) ?? []) emit(w, 1); },
  reduce(key, values, emit) { let n = 0; for (const v of values) n += v; emit(key, n); },
};\n`);
  return file;
}

describe('two jobs writing one output', () => {
  it('both are accepted while it is free; the later commit is refused, the earlier result kept whole', async () => {
    const work = tempDir();
    const out = join(work, 'out');
    const marker = join(work, 'a-started');
    const book = join(GUTENBERG, 'pg-metamorphosis.txt');
    const a = mr(['run', slowWordCount(work, marker, 4000), '--input', book, '--output', out, '--json'], { cwd: work });
    await waitFor('the first job to be running', 60_000, () => (existsSync(marker) ? true : undefined));
    const b = await mr(['run', 'wordcount', '--input', join(GUTENBERG, 'pg-being_ernest.txt'), '--output', out, '--json'], { cwd: work });
    const first = await a;
    const results = [first, b];
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok, results.map((r) => r.stderr).join('\n')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.code).toBe(1);
    expect(refused[0]!.stderr).toMatch(/received _SUCCESS from another job while this one ran; not replaced/);
    // the output is the winner's, whole: its word count of its own book, nothing temporary left
    const winnerBook = ok[0] === first ? book : join(GUTENBERG, 'pg-being_ernest.txt');
    const expected = new Map<string, number>();
    for (const m of readFileSync(winnerBook, 'utf8').matchAll(/\p{L}+/gu)) expected.set(m[0], (expected.get(m[0]) ?? 0) + 1);
    const got = new Map(partLines(readFileSync(join(out, 'part-00000'), 'utf8')).map(([k, v]) => [k, Number(v)]));
    expect(got).toEqual(expected);
    expect(readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-00000']);
  });
});

describe("an output swapped into the master's --data dir while the job runs", () => {
  const c = new TestCluster();
  afterAll(() => reapAll());

  it('fails the job at commit, and nothing lands in the data dir', async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    await c.waitAlive(['core-1']);
    const real = join(c.dir, 'real-out');
    mkdirSync(real);
    const link = join(c.dir, 'out-link');
    symlinkSync(real, link);
    const marker = join(c.dir, 'started');
    const jobId = await c.submit([slowWordCount(c.dir, marker, 2500), '--input', join(GUTENBERG, 'pg-metamorphosis.txt'), '--output', link]);
    await waitFor('the job to be running', 60_000, () => (existsSync(marker) ? true : undefined));
    const target = join(c.dir, 'master', 'stolen');
    mkdirSync(target);
    rmSync(link);
    symlinkSync(target, link);
    const final = await c.waitJob(jobId);
    expect(final.state).toBe('FAILED');
    expect(final.error).toMatch(/now leads into the master's data dir .*a symlink changed while the job ran/);
    expect(readdirSync(target).filter((n) => n.startsWith('part-') || n === '_SUCCESS')).toEqual([]);
  });
});
