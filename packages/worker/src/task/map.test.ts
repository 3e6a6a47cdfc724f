import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import wordcount from '../../../jobs/src/wordcount.js';
import { runMap } from './map.js';

describe('map attempt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'map-'));
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'a b\nc d\n'.repeat(1000));
  const task = (progress: Int32Array) => ({
    job: wordcount, params: {}, jobId: 'job-1', taskId: 'm-00000', attempt: 0, numReducers: 2, sortBufferBytes: 1 << 20,
    split: { uri: input, path: input, start: 0, length: 8000 }, workDir: mkdtempSync(join(dir, 'w-')), progress,
  });

  it('counts progress per record in the shared buffer', async () => {
    const progress = new Int32Array(new SharedArrayBuffer(8));
    const r = await runMap(task(progress));
    expect(progress[0]).toBe(2000);
    expect(r.counters.inputRecords).toBe(2000);
  });

  it('stops at the next record when asked to (a killed attempt closes its files instead of being terminated)', async () => {
    const progress = new Int32Array(new SharedArrayBuffer(8));
    progress[1] = 1;
    await expect(runMap(task(progress))).rejects.toMatchObject({ code: 'MR_ERR_ATTEMPT_KILLED' });
    expect(progress[0]).toBe(1);
  });
});
