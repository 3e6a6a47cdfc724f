import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from './journal/journal.js';
import { MAX_ATTEMPT_OUTPUT, MAX_JOB_OUTPUT, OUTPUT_OVER_BUDGET } from './machine/attempts.js';
import { initialState } from './machine/state.js';
import { step } from './machine/step.js';
import type { JobSpec, MasterEvent, MasterState } from './machine/types.js';
import { jobLogs } from './logs.js';

const spec = (o: Partial<JobSpec> = {}): JobSpec => ({
  name: 'wc', job: { builtin: 'wordcount' }, params: {}, inputs: ['/in'], output: '/out', numReducers: 1, sortBufferBytes: 1 << 20,
  maxAttempts: 3, maxKilledAttempts: 10, taskTimeoutMs: 30_000, speculation: false, skipBadRecords: false, ...o,
});

const setup = (o: Partial<JobSpec> = {}, maps = 2): MasterEvent[] => [
  { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots: 4, running: [], mapOutputs: [], nowMs: 0 },
  { kind: 'JobSubmitted', jobId: 'j', spec: spec(o), splits: Array.from({ length: maps }, (_, i) => ({ uri: '/in', start: i, length: 1 })), nowMs: 1 },
];

function run(events: MasterEvent[]): MasterState {
  const s = initialState();
  for (const e of events) step(s, e);
  return s;
}

describe('mr logs: failed attempts keep their error, stack and output (machine, view, journal)', () => {
  it('lists FAILED and KILLED attempts with what user code left, in task order; --task filters', () => {
    const s = run([
      ...setup(),
      { kind: 'AttemptFailed', attemptId: 'j.m-00001.0', error: 'map threw: boom', stack: 'Error: boom\n    at map (/job.ts:3:9)', stderr: 'about to fail\n', nowMs: 5 },
      { kind: 'AttemptFailed', attemptId: 'j.m-00000.0', error: 'shuffle peer gone', lost: true, stderr: 'lost one\n', nowMs: 6 },
    ]);
    const all = jobLogs(s, 'j');
    expect(all.state).toBe('RUNNING');
    expect(all.attempts.map((a) => [a.attemptId, a.state, a.error])).toEqual([
      ['j.m-00000.0', 'KILLED', 'shuffle peer gone'],
      ['j.m-00001.0', 'FAILED', 'map threw: boom'],
    ]);
    expect(all.attempts[1]).toMatchObject({
      taskId: 'm-00001', kind: 'map', number: 0, nodeId: 'core-1', startedMs: 1, finishedMs: 5,
      stack: 'Error: boom\n    at map (/job.ts:3:9)', stderr: 'about to fail\n',
    });
    expect(jobLogs(s, 'j', 'm-00001').attempts.map((a) => a.attemptId)).toEqual(['j.m-00001.0']);
    expect(jobLogs(s, 'j', 'r-00000').attempts).toEqual([]);
    expect(() => jobLogs(s, 'nope')).toThrow(expect.objectContaining({ code: 'MR_ERR_JOB_NOT_FOUND' }));
    expect(() => jobLogs(s, 'j', 'm-00009')).toThrow(expect.objectContaining({ code: 'MR_ERR_TASK_NOT_FOUND', message: expect.stringMatching(/no task m-00009 \(its tasks are m-00000\.\.m-00001 and r-00000\)/) }));
  });

  it('what a killed or timed-out attempt wrote arrives after it ended, and is kept once', () => {
    const s = run([
      ...setup(),
      { kind: 'Heartbeat', nodeId: 'core-1', running: [], progress: [], nowMs: 39_000 },
      { kind: 'Tick', nowMs: 40_000 }, // no progress: both maps time out (FAILED), the worker is told to kill them
      { kind: 'AttemptOutput', attemptId: 'j.m-00000.0', stderr: 'stuck here\n', nowMs: 40_002 },
      { kind: 'AttemptOutput', attemptId: 'j.m-00000.0', stderr: 'a resend\n', nowMs: 40_003 },
      { kind: 'AttemptOutput', attemptId: 'j.m-00000.1', stderr: 'still running: not kept\n', nowMs: 40_004 },
    ]);
    const [a] = jobLogs(s, 'j', 'm-00000').attempts;
    expect(a).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/no progress for 40 s/), stderr: 'stuck here\n' });
    expect(s.attempts.get('j.m-00000.1')?.stderr).toBeUndefined();
  });

  it('output is bounded per attempt, and per job', () => {
    const huge = 'x'.repeat(MAX_ATTEMPT_OUTPUT + 10) + 'END\n';
    const s = run([...setup({ maxAttempts: 100 }, 1)]);
    const perAttempt = 20;
    for (let i = 0; i < perAttempt; i++) {
      step(s, { kind: 'AttemptFailed', attemptId: `j.m-00000.${i}`, error: 'boom', stderr: huge, nowMs: 10 + i });
    }
    const kept = jobLogs(s, 'j').attempts.map((a) => a.stderr!);
    expect(kept[0]!.length).toBeLessThanOrEqual(MAX_ATTEMPT_OUTPUT + 30);
    expect(kept[0]).toMatch(/^\[earlier output dropped\]\nx+END\n$/);
    const total = kept.reduce((n, k) => n + k.length, 0);
    expect(total).toBeLessThanOrEqual(MAX_JOB_OUTPUT + MAX_ATTEMPT_OUTPUT + perAttempt * (OUTPUT_OVER_BUDGET + 30));
    expect(kept.at(-1)!.length).toBeLessThanOrEqual(OUTPUT_OVER_BUDGET + 30);
    expect(kept.at(-1)).toMatch(/END\n$/);
  });

  it('survives a master restart: the journal replays the same logs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const first = Journal.open(dir, {});
    for (const e of [
      ...setup(),
      { kind: 'AttemptFailed', attemptId: 'j.m-00000.0', error: 'boom', stack: 'Error: boom\n    at map (/job.ts:1:1)', stderr: 'said this\n', nowMs: 5 },
      { kind: 'Heartbeat', nodeId: 'core-1', running: [], progress: [], nowMs: 39_000 },
      { kind: 'Tick', nowMs: 40_000 },
      { kind: 'AttemptOutput', attemptId: 'j.m-00001.0', stderr: 'and this\n', nowMs: 40_001 },
    ] satisfies MasterEvent[]) {
      first.journal.append(e);
      step(first.state, e);
    }
    first.journal.close();
    const again = Journal.open(dir, {});
    expect(jobLogs(again.state, 'j')).toEqual(jobLogs(first.state, 'j'));
    // m-00000.0 threw; its retry m-00000.1 and m-00001.0 timed out, and only m-00001.0 wrote something
    expect(jobLogs(again.state, 'j').attempts.map((a) => [a.attemptId, a.stderr])).toEqual([
      ['j.m-00000.0', 'said this\n'], ['j.m-00000.1', undefined], ['j.m-00001.0', 'and this\n'],
    ]);
    expect(jobLogs(again.state, 'j').attempts[0]!.stack).toBe('Error: boom\n    at map (/job.ts:1:1)');
    again.journal.close();
  });
});
