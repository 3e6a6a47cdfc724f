/**
 * `mr submit` from a directory other than the master's (issue 14): local paths the user types mean
 * what they mean where they typed them, as with `mr run`.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOracle } from '../oracle.js';
import wordlen from '../fixtures/wordlen.mjs';
import { TestCluster } from './helpers/cluster.js';
import { readOutput } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, ROOT, tempDir } from './helpers/procs.js';

afterAll(reapAll);

describe('mr submit resolves local paths in the client\'s directory', () => {
  // the master's directory is ROOT (TestCluster starts every process there)
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('task-1', { role: 'task' });
    await c.waitAlive(['core-1', 'task-1']);
  });

  it('relative --input, --output and job module from another directory: read and written there; the summary names the absolute output', async () => {
    const here = tempDir('mr-client-');
    mkdirSync(join(here, 'in'));
    mkdirSync(join(here, 'jobs'));
    const book = join(here, 'in', 'metamorphosis.txt');
    copyFileSync(join(GUTENBERG, 'pg-metamorphosis.txt'), book);
    copyFileSync(join(ROOT, 'test/fixtures/wordlen.mjs'), join(here, 'jobs', 'wordlen.mjs'));
    const rel = 'relout-issue14';
    const r = await mr(['submit', '--master', c.master, 'jobs/wordlen.mjs', '--input', 'in', '--output', rel, '--reducers', '2', '--wait'], { cwd: here, env: c.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^  output: +${join(here, rel).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(readOutput(join(here, rel))).toEqual(runOracle(wordlen, [book], 2));
    expect(existsSync(join(ROOT, rel))).toBe(false);
  });
});
