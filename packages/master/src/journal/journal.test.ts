import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { step } from '../machine/step.js';
import type { JobSpec, MasterEvent } from '../machine/types.js';
import { Journal, serializeState } from './journal.js';

const spec: JobSpec = {
  name: 'wc', job: { builtin: 'wordcount' }, params: {}, inputs: ['/in'], output: '/out', numReducers: 2, sortBufferBytes: 1 << 20,
  maxAttempts: 4, maxKilledAttempts: 10, taskTimeoutMs: 30_000, speculation: true, skipBadRecords: false,
};

function events(): MasterEvent[] {
  const es: MasterEvent[] = [
    { kind: 'NodeRegistered', nodeId: 'core-1', role: 'core', address: 'a:1', slots: 2, running: [], mapOutputs: [], nowMs: 1 },
    { kind: 'NodeRegistered', nodeId: 'task-1', role: 'task', address: 'b:1', slots: 2, running: [], mapOutputs: [], nowMs: 2 },
    { kind: 'JobSubmitted', jobId: 'job-1', spec, splits: [0, 1, 2].map((i) => ({ uri: '/in/f', start: i * 10, length: 10 })), nowMs: 3 },
  ];
  for (let i = 0; i < 3; i++) es.push({ kind: 'AttemptSucceeded', attemptId: `job-1.m-0000${i}.0`, counters: { inputRecords: 5 }, nowMs: 10 + i });
  for (let t = 0; t < 20; t++) es.push({ kind: 'Heartbeat', nodeId: t % 2 ? 'core-1' : 'task-1', running: [], progress: [], nowMs: 20 + t });
  return es;
}

const stateJson = (j: { state: Parameters<typeof serializeState>[0] }) => JSON.stringify(serializeState(j.state));

describe('master journal (design.md: a log of events that replays to the same state)', () => {
  it('reopening replays to the same state, across snapshots', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const first = Journal.open(dir, {}, 7);
    expect(first.recovered).toBe(false);
    for (const e of events()) {
      first.journal.append(e);
      step(first.state, e);
      if (first.journal.snapshotDue) first.journal.snapshot(first.state);
    }
    first.journal.close();
    const again = Journal.open(dir, {}, 7);
    expect(again.recovered).toBe(true);
    expect(stateJson(again)).toBe(stateJson(first));
    expect(again.state.jobs.get('job-1')!.maps.every((t) => t.state === 'SUCCEEDED')).toBe(true);
    // recovery compacts: the log starts over after a fresh snapshot
    expect(readFileSync(join(dir, 'events.log'), 'utf8')).toBe('');
  });

  it('a job that ended replays with its tasks settled as they were live (FAILED, KILLED, never PENDING or RUNNING)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const failing: JobSpec = { ...spec, maxAttempts: 2 };
    // as machine/job-end.test.ts: m-00000 fails twice, m-00001 succeeds, the rest never finish
    const es: MasterEvent[] = [
      ...events().slice(0, 2),
      { kind: 'JobSubmitted', jobId: 'job-1', spec: failing, splits: [0, 1, 2].map((i) => ({ uri: '/in/f', start: i * 10, length: 10 })), nowMs: 3 },
      { kind: 'AttemptSucceeded', attemptId: 'job-1.m-00001.0', counters: {}, nowMs: 4 },
      { kind: 'AttemptFailed', attemptId: 'job-1.m-00000.0', error: 'boom', nowMs: 5 },
      { kind: 'AttemptFailed', attemptId: 'job-1.m-00000.1', error: 'boom again', nowMs: 6 },
    ];
    const live = Journal.open(dir, {});
    for (const e of es) {
      live.journal.append(e);
      step(live.state, e);
    }
    live.journal.close();
    const again = Journal.open(dir, {});
    again.journal.close();
    expect(again.replayed).toBe(es.length);
    expect(stateJson(again)).toBe(stateJson(live));
    const job = again.state.jobs.get('job-1')!;
    expect([...job.maps, ...job.reduces].map((t) => [t.id, t.state, t.error])).toEqual([
      ['m-00000', 'FAILED', 'task m-00000 failed 2 times; last error: boom again'],
      ['m-00001', 'SUCCEEDED', undefined],
      ['m-00002', 'KILLED', 'job failed before the task finished'],
      ['r-00000', 'KILLED', 'job failed before the task finished'],
      ['r-00001', 'KILLED', 'job failed before the task finished'],
    ]);
  });

  it('a torn last line (a crash mid-write) is dropped; corruption elsewhere is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = Journal.open(dir, {});
    const es = events().slice(0, 3);
    for (const e of es) {
      j.journal.append(e);
      step(j.state, e);
    }
    j.journal.close();
    appendFileSync(join(dir, 'events.log'), '{"seq":4,"e":{"kind":"Heartb');
    const again = Journal.open(dir, {});
    expect(again.replayed).toBe(3);
    expect(stateJson(again)).toBe(stateJson(j));
    again.journal.close();

    const bad = mkdtempSync(join(tmpdir(), 'journal-'));
    appendFileSync(join(bad, 'events.log'), 'not json\n{"seq":1,"e":{"kind":"Tick","nowMs":1}}\n{"seq":2,"e":{"kind":"Tick","nowMs":2}}\n');
    expect(() => Journal.open(bad, {})).toThrow(/events\.log: line 1 is corrupt/);
  });
});
