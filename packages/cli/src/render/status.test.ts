import { describe, expect, it } from 'vitest';
import type { wire } from '@mr/shared';
import { summary } from './status.js';

describe('the run summary', () => {
  it('prints counts with thousands separators and sizes in binary units', () => {
    const s = {
      id: 'job-1', name: 'wordcount', state: 'SUCCEEDED', elapsedMs: 1234,
      counters: { mapTasks: 8, mapAttempts: 9, inputBytes: 211_270_656, inputRecords: 1_760_000, reduceTasks: 2, reduceAttempts: 2, outputRecords: 999, failedAttempts: 1, killedAttempts: 1_000 },
    } as unknown as wire.JobStatus;
    expect(summary(s, '/out').split('\n')).toEqual([
      'job job-1 (wordcount) SUCCEEDED in 1.23 s',
      '  map:    8 tasks, 9 attempts; read 201.5 MiB, 1,760,000 records',
      '  reduce: 2 tasks, 2 attempts; wrote 999 records',
      '  retries: 1 failed, 1,000 killed attempts',
      '  output: /out',
    ]);
  });
});
