import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { runOracle } from '../oracle.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, partLines, readOutput } from './helpers/output.js';
import { GUTENBERG, reapAll, ROOT, tempDir, waitFor } from './helpers/procs.js';

const TESTING = join(ROOT, 'packages/jobs/dist/testing');

/** /api/jobs/ID, the parts checked here. */
interface JobTasks { state: string; tasks: { id: string; state: string; error?: string; attempts: { state: string }[] }[] }
const books = filesUnder(GUTENBERG);

/** [start, end] of every attempt from the markers job's files, by task. */
function markerSpans(dir: string): { task: string; attempt: string; start: number; end: number }[] {
  const names = readdirSync(dir).filter((n) => n.endsWith('.start'));
  return names.map((n) => {
    const [task, attempt] = n.split('.');
    const base = n.slice(0, -'.start'.length);
    return { task: task!, attempt: attempt!, start: Number(readFileSync(join(dir, n), 'utf8')), end: Number(readFileSync(join(dir, `${base}.end`), 'utf8')) };
  });
}

function overlaps(spans: { start: number; end: number; task: string }[]): boolean {
  return spans.some((a) => spans.some((b) => a.task !== b.task && a.start < b.end && b.start < a.end));
}

describe('the 6.5840 lab tests, ported (issue 3): two workers, one slot each', () => {
  const c = new TestCluster();
  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core' });
    c.startWorker('task-1', { role: 'task' });
    await c.waitAlive(['core-1', 'task-1']);
  });
  afterAll(reapAll);

  it('indexer: word -> sorted documents, equal to an independent reference', async () => {
    const out = join(c.dir, 'index');
    const r = await c.mr(['submit', 'indexer', '--input', GUTENBERG, '--output', out, '--reducers', '3', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const expected = new Map<string, Set<string>>();
    for (const f of books) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\p{L}+/gu)) {
        let docs = expected.get(m[0]);
        if (!docs) expected.set(m[0], (docs = new Set()));
        docs.add(basename(f));
      }
    }
    const got = new Map([...readOutput(out)].filter(([n]) => n.startsWith('part-')).flatMap(([, c]) => partLines(c)));
    expect(got.size).toBe(expected.size);
    for (const [w, docs] of expected) expect(got.get(w), w).toBe(`${docs.size} ${[...docs].sort().join(',')}`);
  });

  it('map parallelism, reduce parallelism and job count: attempts overlap, exactly one per task', async () => {
    const dir = tempDir('markers-');
    const out = join(c.dir, 'markers');
    const r = await c.mr(['submit', join(TESTING, 'markers.js'), '--input', GUTENBERG, '--output', out, '--reducers', '2',
      '--param', `dir=${dir}`, '--param', 'holdMs=1500', '--no-speculation', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const spans = markerSpans(dir);
    const maps = spans.filter((s) => s.task.startsWith('m-'));
    const reduces = spans.filter((s) => s.task.startsWith('r-'));
    expect(overlaps(maps), 'two map attempts ran at the same time').toBe(true);
    expect(overlaps(reduces), 'two reduce attempts ran at the same time').toBe(true);
    // job count: nothing healthy was re-issued
    expect(maps.map((s) => s.task).sort()).toEqual(books.map((_, i) => `m-${String(i).padStart(5, '0')}`));
    expect(reduces.map((s) => `${s.task}.${s.attempt}`).sort()).toEqual(['r-00000.0', 'r-00001.0']);
    const s = JSON.parse(r.stdout) as { counters: Record<string, number> };
    expect(s.counters).toMatchObject({ mapAttempts: books.length, reduceAttempts: 2, killedAttempts: 0, failedAttempts: 0 });
    expect(readOutput(out)).toEqual(runOracle(wordcount, books, 2));
  });

  it('bad records: without --skip-bad-records the job fails naming input and offset; with it they are skipped and counted', async () => {
    const inDir = tempDir('poison-');
    const lines = ['alpha beta', 'POISON gamma', 'delta', 'epsilon POISON', 'zeta eta'];
    writeFileSync(join(inDir, 'in.txt'), lines.join('\n') + '\n');
    const failed = await c.mr(['submit', join(TESTING, 'poison.js'), '--input', inDir, '--output', join(c.dir, 'p1'), '--wait', '--json']);
    expect(failed.code).toBe(1);
    const failedJob = JSON.parse(failed.stdout) as { id: string; error: string };
    expect(failedJob.error).toMatch(/map threw on .*in\.txt at byte 11: poisoned line: POISON gamma$/);
    // the job page's data agrees with the job: the map that failed it FAILED, the reduce that never ran KILLED
    const detail = (await c.api<JobTasks>(`/api/jobs/${failedJob.id}`))!;
    expect(detail.tasks.map((t) => [t.id, t.state, t.attempts.map((a) => a.state)])).toEqual([
      ['m-00000', 'FAILED', ['FAILED', 'FAILED', 'FAILED', 'FAILED']],
      ['r-00000', 'KILLED', []],
    ]);
    expect(detail.tasks[0]!.error).toBe(failedJob.error);
    expect(detail.tasks[1]!.error).toBe('job failed before the task finished');

    const out = join(c.dir, 'p2');
    const ok = await c.mr(['submit', join(TESTING, 'poison.js'), '--input', inDir, '--output', out, '--skip-bad-records', '--wait', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const s = JSON.parse(ok.stdout) as { counters: Record<string, number> };
    expect(s.counters.skippedRecords).toBe(2);
    expect(s.counters.failedAttempts).toBe(4); // two on each poisoned line, then it is skipped
    const words = new Map(partLines(readOutput(out).get('part-00000')!));
    expect([...words.keys()].sort()).toEqual(['alpha', 'beta', 'delta', 'eta', 'zeta']);
  });

  it('task timeout: an attempt that makes no progress fails after --task-timeout and runs elsewhere', async () => {
    mkdirSync(join(c.dir, 'one'), { recursive: true });
    writeFileSync(join(c.dir, 'one', 'in.txt'), 'one two two\n');
    // the slow job stalls only where MR_TEST_SLOW=1; with the most free slots, that worker gets the map first
    c.startWorker('task-slow', { role: 'task', slots: 4, env: { MR_TEST_SLOW: '1' } });
    await c.waitAlive(['task-slow']);
    const r = await c.mr(['submit', join(TESTING, 'slow.js'), '--input', join(c.dir, 'one'), '--output', join(c.dir, 'timeout'),
      '--param', 'slowMs=60000', '--task-timeout', '2s', '--no-speculation', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { counters: Record<string, number> };
    // it timed out on the slow worker and ran again on another one
    expect(s.counters).toMatchObject({ mapAttempts: 2, failedAttempts: 1 });
    expect(readOutput(join(c.dir, 'timeout')).get('part-00000')).toBe('one\t1\ntwo\t2\n');
    await c.kill('task-slow');
  });

  it('mr job kill: the running attempts stop, nothing is left at the output, the state is KILLED', async () => {
    const dir = tempDir('markers-');
    const out = join(c.dir, 'killed');
    const id = await c.submit([join(TESTING, 'markers.js'), '--input', GUTENBERG, '--output', out, '--param', `dir=${dir}`, '--param', 'holdMs=3000', '--no-speculation']);
    await waitFor('an attempt running', 20_000, () => (readdirSync(dir).some((n) => n.endsWith('.start')) ? true : undefined));
    const k = await c.mr(['job', 'kill', id, '--json']);
    expect(k.code, k.stderr).toBe(0);
    expect(JSON.parse(k.stdout)).toMatchObject({ id, state: 'KILLED', error: 'killed by request' });
    const s = await c.status(id);
    expect(s.state).toBe('KILLED');
    // no task of the killed job is left PENDING or RUNNING in /api/jobs/ID (the job page's data)
    const detail = (await c.api<JobTasks>(`/api/jobs/${id}`))!;
    expect(detail.state).toBe('KILLED');
    expect(detail.tasks.filter((t) => t.state !== 'SUCCEEDED' && t.state !== 'KILLED')).toEqual([]);
    expect(detail.tasks.find((t) => t.id === 'r-00000')).toMatchObject({ state: 'KILLED', error: 'job killed before the task finished' });
    expect(existsSync(join(out, '_SUCCESS'))).toBe(false);
    expect(existsSync(out) ? readdirSync(out).filter((n) => n.startsWith('part-')) : []).toEqual([]);
    const again = await c.mr(['job', 'kill', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`mr: job ${id} already KILLED; nothing to kill\n`);
    const unknown = await c.mr(['job', 'kill', 'job-nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('mr: no job job-nope\n');
  });
});
