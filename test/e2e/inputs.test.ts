/**
 * Inputs and outputs that used to give a wrong answer with exit 0 (issue 15): an output where the
 * job reads, symbolic links inside an input directory, an input that shrinks while the job runs.
 * Each case compares with what the files really hold, computed here without the engine.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { partLines, readOutput, straightforwardWordCount } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, tempDir } from './helpers/procs.js';

afterAll(reapAll);

const counts = (dir: string) => {
  const m = new Map<string, number>();
  for (const [name, text] of readOutput(dir)) if (name.startsWith('part-')) for (const [k, v] of partLines(text)) m.set(k, Number(v));
  return m;
};

describe('an output where the job reads is refused', () => {
  const work = tempDir();
  mkdirSync(join(work, 'in', 'g3'), { recursive: true });
  copyFileSync(join(GUTENBERG, 'pg-metamorphosis.txt'), join(work, 'in', 'g3', 'book.txt'));

  it.each([
    ['the input itself, with --overwrite', 'in/g3', ['--overwrite']],
    ['a directory inside the input', 'in/g3/out', []],
    ['a directory that contains the input', 'in', ['--overwrite']],
  ])('%s: one line, exit 2, nothing written', async (_what, output, extra) => {
    const before = readdirSync(join(work, 'in', 'g3'));
    const r = await mr(['run', 'wordcount', '--input', 'in/g3', '--output', output, ...extra], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mr: output .* (is the|is inside the|contains the) input .*: a job cannot write where it reads/);
    expect(readdirSync(join(work, 'in', 'g3'))).toEqual(before);
    expect(existsSync(join(work, 'in', 'g3', 'out'))).toBe(false);
  });
});

describe('symbolic links inside an input directory', () => {
  it('are followed, to files and to directories: every file counted once', async () => {
    const work = tempDir();
    const books = ['pg-metamorphosis.txt', 'pg-being_ernest.txt', 'pg-tom_sawyer.txt'].map((b) => join(GUTENBERG, b));
    mkdirSync(join(work, 'in'));
    mkdirSync(join(work, 'elsewhere', 'more'), { recursive: true });
    copyFileSync(books[0]!, join(work, 'in', 'plain.txt'));
    symlinkSync(books[1]!, join(work, 'in', 'linked.txt'));
    copyFileSync(books[2]!, join(work, 'elsewhere', 'more', 'deep.txt'));
    symlinkSync(join(work, 'elsewhere', 'more'), join(work, 'in', 'linked-dir'));
    symlinkSync(join(work, 'missing.txt'), join(work, 'in', 'broken.txt'));
    const out = join(work, 'out');
    const r = await mr(['run', 'wordcount', '--input', join(work, 'in'), '--output', out, '--reducers', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { counters: Record<string, number> };
    // three files read; the broken link is counted, not silently dropped
    expect(status.counters.mapTasks).toBe(3);
    expect(status.counters.skippedInputEntries).toBe(1);
    expect(counts(out)).toEqual(straightforwardWordCount(books));
  });
});

describe('an input that changes while the job reads it', () => {
  it('a file truncated after planning fails the job naming the file, never a smaller count with exit 0', async () => {
    const work = tempDir();
    const file = join(work, 'big.txt');
    writeFileSync(file, 'word\n'.repeat(400_000)); // 2 MB: 4 splits of 512 KiB
    // one thread runs the maps in order; the first truncates the file as it starts, so the later splits find less than was planned
    const module = join(work, 'truncating-wc.mjs');
    writeFileSync(module, `import { truncateSync } from 'node:fs';
export default {
  name: 'truncating-wc',
  mapSetup(ctx) { if (ctx.taskId === 'm-00000') truncateSync(${JSON.stringify(file)}, 5000); },
  map(line, emit) { emit(line, 1); },
  reduce(key, values, emit) { let n = 0; for (const v of values) n += v; emit(key, n); },
};\n`);
    const r = await mr(['run', module, '--input', file, '--output', join(work, 'out'), '--split-size', '512k', '--core', '1', '--task', '0', '--slots', '1', '--max-attempts', '1'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`input ${file} changed while the job ran`);
    expect(existsSync(join(work, 'out', '_SUCCESS'))).toBe(false);
  });
});
