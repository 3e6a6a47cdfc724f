/**
 * The test harness itself: temporary dirs live under the run's own TMPDIR (test/global-setup.ts),
 * so processes that a test SIGKILLs cannot leave their files behind on the machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './e2e/helpers/procs.js';

describe('test harness', () => {
  it('gives each run its own TMPDIR, and tempDir makes dirs under it', () => {
    expect(basename(tmpdir())).toMatch(/^mr-tests-/);
    const dir = tempDir();
    expect(dirname(dir)).toBe(tmpdir());
    expect(existsSync(dir)).toBe(true);
  });

  it('processes that tests start inherit it', () => {
    const childTmp = execFileSync(process.execPath, ['-p', "require('node:os').tmpdir()"], { encoding: 'utf8' }).trim();
    expect(childTmp).toBe(tmpdir());
  });
});
