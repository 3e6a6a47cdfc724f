/**
 * Issue 14: however `mr run` ends, nothing of it is left: no worker process (--isolate's die with
 * it) and no mr-run-* dir in its TMPDIR. A reader that goes away, SIGINT, SIGTERM, and SIGKILL,
 * after which the workers remove the run dir (--isolate) or the next `mr run` sweeps it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exited, GUTENBERG, mr, MR_BIN, reapAll, ROOT, tempDir, track, waitFor } from './helpers/procs.js';

afterAll(reapAll);

const BOOK = join(GUTENBERG, 'pg-metamorphosis.txt');
/** Word count whose map attempts stall a minute on their first record (MR_TEST_SLOW=1): a run that is busy when it is stopped. */
const SLOW = join(ROOT, 'packages/jobs/dist/testing/slow.js');

/** Live processes whose command line names a path under `dir`: a run's worker processes carry their --data there. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`${dir}/`)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// cleanup by PID of what a failing test may leave: workers that outlived their mr run
const runTmpDirs: string[] = [];
afterEach(() => {
  for (const dir of runTmpDirs.splice(0)) {
    for (const pid of processesUnder(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/** `mr run ARGS` with its own TMPDIR (to see what it leaves there), its output in another dir. */
function startRun(args: string[]): { proc: ChildProcess; tmp: string; stderr: () => string } {
  const tmp = tempDir('mr-exit-');
  runTmpDirs.push(tmp);
  const proc = spawn(process.execPath, [MR_BIN, 'run', ...args, '--output', join(tempDir(), 'out')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp, MR_TEST_SLOW: '1' },
  });
  track(proc);
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  proc.stdout!.resume();
  return { proc, tmp, stderr: () => stderr };
}

/** Until the job is submitted (its master's log says so) and, with --isolate, both worker processes run. */
async function jobRunning(tmp: string, workerProcesses: number): Promise<void> {
  await waitFor('the job to be running', 30_000, () => {
    const [dir] = readdirSync(tmp);
    const log = dir ? readFileSync(join(tmp, dir, 'logs', 'master.log'), 'utf8') : '';
    return log.includes('"msg":"job submitted"') && processesUnder(tmp).length === workerProcesses ? true : undefined;
  });
}

/** Bounded: no process of the run and nothing in its TMPDIR. */
async function nothingLeft(tmp: string): Promise<void> {
  await waitFor(`no process and no run dir left under ${tmp}`, 20_000, () =>
    processesUnder(tmp).length === 0 && readdirSync(tmp).length === 0 ? true : undefined);
}

const slowJob = [SLOW, '--input', BOOK, '--param', 'slowMs=60000'];

describe('mr run leaves nothing behind', () => {
  it('`--isolate --verbose 2>&1 | head -1`: the reader goes after one line; the job still ends, exit 0, its workers and run dir gone', async () => {
    const tmp = tempDir('mr-exit-');
    runTmpDirs.push(tmp);
    const proc = spawn(process.execPath, [MR_BIN, 'run', 'wordcount', '--input', BOOK, '--output', join(tempDir(), 'out'), '--isolate', '--verbose'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: tmp },
    });
    track(proc);
    let first = '';
    const onData = (d: Buffer) => {
      first += d.toString();
      if (first.includes('\n')) {
        proc.stdout!.destroy(); // both ends of `2>&1 | head -1` close with head
        proc.stderr!.destroy();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    expect(await exited(proc, 60_000)).toBe(0);
    expect(first).toMatch(/^\{.*"msg":"master started"/);
    await nothingLeft(tmp);
  });

  it.each([
    ['SIGINT', 130, []],
    ['SIGTERM', 143, []],
    ['SIGINT', 130, ['--isolate']],
    ['SIGTERM', 143, ['--isolate']],
  ] as const)('%s mid-job: exit %i (run flags %j), its workers and run dir gone', async (signal, code, mode) => {
    const run = startRun([...slowJob, ...mode]);
    await jobRunning(run.tmp, mode.length > 0 ? 2 : 0);
    run.proc.kill(signal);
    expect(await exited(run.proc, 30_000), run.stderr()).toBe(code);
    await nothingLeft(run.tmp);
  });

  it('SIGKILL mid-job, --isolate: its workers notice, stop and remove the run dir', async () => {
    const run = startRun([...slowJob, '--isolate']);
    await jobRunning(run.tmp, 2);
    run.proc.kill('SIGKILL');
    await exited(run.proc);
    await nothingLeft(run.tmp);
  });

  it('SIGKILL mid-job, workers in the process: the next mr run sweeps the dead run\'s dir', async () => {
    const run = startRun(slowJob);
    await jobRunning(run.tmp, 0);
    run.proc.kill('SIGKILL');
    await exited(run.proc);
    expect(readdirSync(run.tmp)).toHaveLength(1); // nothing ran to remove it
    const next = await mr(['run', 'wordcount', '--input', BOOK, '--output', join(tempDir(), 'out')], { env: { TMPDIR: run.tmp } });
    expect(next.code, next.stderr).toBe(0);
    expect(readdirSync(run.tmp)).toEqual([]);
  });
});
