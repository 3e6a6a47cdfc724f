import { describe, expect, it } from 'vitest';
import type { wire } from '@mr/shared';
import { jobDetails, summary } from './status.js';

const status = (o: Partial<wire.JobStatus>): wire.JobStatus => ({
  id: 'job-1', name: 'wordcount', state: 'SUCCEEDED', error: '', counters: {}, startedAt: '', finishedAt: '', elapsedMs: 1234,
  mapsDone: 0, mapsTotal: 0, reducesDone: 0, reducesTotal: 0, inputs: [], output: '', paramsJson: '', ...o,
});

/** Every counter the summary prints as a count, set to n. */
const counted = (n: number) => ({
  mapTasks: n, mapAttempts: n, inputRecords: n, reduceTasks: n, reduceAttempts: n, outputRecords: n,
  failedAttempts: n, killedAttempts: n, skippedRecords: n, badRecords: n, inputBytes: 0,
});

describe('the run summary', () => {
  it('prints counts with thousands separators and sizes in binary units', () => {
    const s = status({ counters: { mapTasks: 8, mapAttempts: 9, inputBytes: 211_270_656, inputRecords: 1_760_000, reduceTasks: 2, reduceAttempts: 2, outputRecords: 999, failedAttempts: 1, killedAttempts: 1_000 } });
    expect(summary(s, '/out').split('\n')).toEqual([
      'job job-1 (wordcount) SUCCEEDED in 1.23 s',
      '  map:     8 tasks, 9 attempts; read 201.5 MiB, 1,760,000 records',
      '  reduce:  2 tasks, 2 attempts; wrote 999 records',
      '  retries: 1 failed attempt, 1,000 killed attempts',
      '  output:  /out',
    ]);
  });

  it.each([
    // no retries: no retries line
    [0, ['0 tasks', '0 attempts', '0 records', '0 reducers']],
    [1, ['1 task', '1 attempt', '1 record', '1 reducer', '1 failed attempt', '1 killed attempt']],
    [2, ['2 tasks', '2 attempts', '2 records', '2 reducers', '2 failed attempts', '2 killed attempts']],
  ])('with counts of %i every noun agrees (no "1 tasks")', (n, words) => {
    const lines = [summary(status({ counters: counted(n) }), '/out', { skipBadRecords: true }), jobDetails(status({ counters: counted(n), reducesTotal: n }))].join('\n');
    for (const w of words) expect(lines).toContain(w);
    expect(lines).not.toMatch(n === 1 ? /\b1 (tasks|attempts|records|reducers)\b/ : /\b[02] (task|attempt|record|reducer)\b(?!s)/);
  });

  it('says how many records --skip-bad-records skipped, even none, and bad records when there are any', () => {
    const plain = summary(status({ counters: { ...counted(3), skippedRecords: 0, badRecords: 0 } }), '/out');
    expect(plain).not.toMatch(/skipped|bad/);
    const skipping = summary(status({ counters: { ...counted(3), skippedRecords: 0, badRecords: 0 } }), '/out', { skipBadRecords: true });
    expect(skipping).toContain('  skipped: 0 records on which user code threw twice (--skip-bad-records)');
    const bad = summary(status({ counters: { ...counted(3), skippedRecords: 2, badRecords: 5 } }), '/out');
    expect(bad).toContain('  skipped: 2 records on which user code threw twice (--skip-bad-records)');
    expect(bad).toContain('  bad:     5 records the job marked bad and skipped');
  });
});

describe('mr status JOB: the job for a person to read', () => {
  it('state, times, input, output, params, progress and every counter, one per line', () => {
    const s = status({
      state: 'RUNNING', elapsedMs: 12_300, startedAt: '2026-11-29T07:36:42.123Z', inputs: ['data/a', 's3://b/c'], output: '/out/wc',
      paramsJson: '{"pattern":"ERROR|FATAL","top":"10"}', mapsDone: 3, mapsTotal: 8, reducesDone: 0, reducesTotal: 1,
      counters: { mapTasks: 8, mapAttempts: 3, inputBytes: 2048, inputRecords: 12_345, reduceTasks: 1, reduceAttempts: 0, outputRecords: 0, lines: 7 },
    });
    expect(jobDetails(s).split('\n')).toEqual([
      'job job-1 (wordcount) RUNNING for 12.30 s',
      '  started:  2026-11-29 07:36:42 UTC',
      '  input:    data/a s3://b/c',
      '  output:   /out/wc (1 reducer)',
      '  params:   pattern=ERROR|FATAL top=10',
      '  progress: map 3/8, reduce 0/1 (tasks done/all)',
      '  map:      8 tasks, 3 attempts; read 2.0 KiB, 12,345 records',
      '  reduce:   1 task, 0 attempts; wrote 0 records',
      '  counters:',
      '    inputBytes      2,048',
      '    inputRecords    12,345',
      '    lines           7',
      '    mapAttempts     3',
      '    mapTasks        8',
      '    outputRecords   0',
      '    reduceAttempts  0',
      '    reduceTasks     1',
    ]);
  });

  it('an ended job: its end time and error; no params', () => {
    const s = status({ state: 'FAILED', error: 'map m-00001 failed 4 times', startedAt: '2026-11-29T07:36:42.123Z', finishedAt: '2026-11-29T07:37:00.000Z', paramsJson: '{}' });
    const lines = jobDetails(s).split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'job job-1 (wordcount) FAILED in 1.23 s',
      '  error:    map m-00001 failed 4 times',
      '  started:  2026-11-29 07:36:42 UTC',
      '  finished: 2026-11-29 07:37:00 UTC',
    ]);
    expect(lines).toContain('  params:   (none)');
  });
});
