import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunDir, sweepAbandonedRunDirs } from './run-dir.js';

const parents: string[] = [];
afterEach(() => {
  for (const p of parents.splice(0)) rmSync(p, { recursive: true, force: true });
});

function parent(): string {
  const p = mkdtempSync(join(tmpdir(), 'mr-rundir-test-'));
  parents.push(p);
  return p;
}

/** A pid that was a process a moment ago and is not one any more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

function runDir(at: string, name: string, owner?: number | string): string {
  const dir = join(at, name);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  if (owner !== undefined) writeFileSync(join(dir, 'owner.json'), typeof owner === 'number' ? JSON.stringify({ pid: owner }) : owner);
  return dir;
}

describe('run dirs: swept only when their owner is dead', () => {
  it('removes a dead owner\'s run dir; leaves a live owner\'s, one without a readable owner, and what is not a run dir', async () => {
    const at = parent();
    runDir(at, 'mr-run-dead', deadPid());
    runDir(at, 'mr-run-live', process.pid);
    runDir(at, 'mr-run-kept'); // no owner: kept on purpose, or being made
    runDir(at, 'mr-run-torn', '{"pi');
    runDir(at, 'not-a-run', deadPid());
    await sweepAbandonedRunDirs(at);
    expect(readdirSync(at).sort()).toEqual(['mr-run-kept', 'mr-run-live', 'mr-run-torn', 'not-a-run']);
  });

  it('a run dir made here: removed by remove(); kept by keep() and then no longer swept as abandoned', async () => {
    const at = parent();
    const gone = await createRunDir(at);
    expect(readdirSync(gone.path)).toEqual(['owner.json']);
    await gone.remove();
    expect(existsSync(gone.path)).toBe(false);
    const kept = await createRunDir(at);
    await kept.keep();
    expect(readdirSync(kept.path)).toEqual([]);
    await sweepAbandonedRunDirs(at);
    expect(existsSync(kept.path)).toBe(true);
  });
});
