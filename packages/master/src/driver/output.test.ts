import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitJob, commitTask } from './output.js';

const root = mkdtempSync(join(tmpdir(), 'mr-commit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dataDir = join(root, 'master-data');
mkdirSync(dataDir);

/** What a reduce attempt leaves: OUT/_temporary/<attemptId>/part-N. */
function attemptOutput(out: string, attemptId: string, partition: number, text: string): string {
  const dir = join(out, '_temporary', attemptId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `part-0000${partition}`), text);
  return dir;
}

async function runCommit(jobId: string, out: string, parts: string[], o: { overwrite?: boolean; redo?: boolean } = {}): Promise<void> {
  for (const [p, text] of parts.entries()) {
    await commitTask(jobId, out, attemptOutput(out, `${jobId}.r-0000${p}.0`, p, text), p, dataDir);
  }
  await commitJob(jobId, out, parts.length, { overwrite: o.overwrite === true, ...(o.redo ? { redo: true } : {}), dataDir });
}

describe('the local output committer', () => {
  it('two jobs writing one output: each keeps its own temporaries, and the later commit is refused', async () => {
    const out = join(root, 'shared-out');
    // both were accepted while the output was free; A's attempts are written, then B commits first
    const aAttempt = attemptOutput(out, 'job-a.r-00000.0', 0, 'from a\n');
    await runCommit('job-b', out, ['from b\n']);
    expect(readdirSync(out).sort()).toEqual(['_SUCCESS', '_temporary', 'part-00000']);
    expect(existsSync(aAttempt)).toBe(true); // B's commit left A's attempt alone
    await commitTask('job-a', out, aAttempt, 0, dataDir);
    await expect(commitJob('job-a', out, 1, { overwrite: false, dataDir }))
      .rejects.toMatchObject({ code: 'MR_ERR_OUTPUT_EXISTS', message: expect.stringContaining('received _SUCCESS from another job while this one ran') });
    expect(readFileSync(join(out, 'part-00000'), 'utf8')).toBe('from b\n');
    // with --overwrite the later job's result replaces it, and nothing temporary is left
    await commitJob('job-a', out, 1, { overwrite: true, dataDir });
    expect(readFileSync(join(out, 'part-00000'), 'utf8')).toBe('from a\n');
    expect(readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-00000']);
  });

  it('a commit redone after a master restart accepts its own result', async () => {
    const out = join(root, 'redo-out');
    await runCommit('job-r', out, ['r0\n', 'r1\n']);
    await commitJob('job-r', out, 2, { overwrite: false, redo: true, dataDir });
    expect(readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-00000', 'part-00001']);
  });

  it('an output swapped to a symlink into the master\'s data dir after submit is refused at commit', async () => {
    const real = join(root, 'real-out');
    mkdirSync(real);
    const out = join(root, 'out-link');
    symlinkSync(real, out);
    await runCommit('job-s', out, ['first\n']);
    expect(readFileSync(join(real, 'part-00000'), 'utf8')).toBe('first\n');
    // a second job's attempt is written, then the link is swapped to lead into the data dir
    const attempt = attemptOutput(out, 'job-t.r-00000.0', 0, 'second\n');
    mkdirSync(join(dataDir, 'journal'), { recursive: true });
    rmSync(out);
    symlinkSync(join(dataDir, 'journal'), out);
    await expect(commitTask('job-t', out, attempt, 0, dataDir)).rejects.toMatchObject({ code: 'MR_ERR_OUTPUT_FORBIDDEN' });
    await expect(commitJob('job-t', out, 1, { overwrite: true, dataDir }))
      .rejects.toThrow(/now leads into the master's data dir .*a symlink changed while the job ran/);
    expect(readdirSync(join(dataDir, 'journal'))).toEqual([]);
  });
});
