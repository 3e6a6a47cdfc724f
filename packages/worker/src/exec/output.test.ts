import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MrError } from '@mr/shared/core';
import { captureOutput, OUTPUT_TAIL_BYTES, OutputTail, stopCapturingOutput, userStack } from './output.js';

describe('OutputTail: the bounded tail of what user code writes', () => {
  it('keeps everything while it fits', () => {
    const t = OutputTail.create(64);
    t.write(Buffer.from('one\n'));
    t.write(Buffer.from('two\n'));
    expect(t.read()).toBe('one\ntwo\n');
    expect(t.written).toBe(8);
  });

  it('keeps the last bytes and says how many were dropped, however the writes fall', () => {
    const t = OutputTail.create(16);
    let all = '';
    for (let i = 0; i < 50; i++) {
      const s = `line ${i}\n`;
      all += s;
      t.write(Buffer.from(s));
    }
    expect(t.read()).toBe(`[${all.length - 16} earlier bytes dropped]\n${all.slice(-16)}`);
    // one write bigger than the whole buffer
    const big = OutputTail.create(10);
    big.write(Buffer.from('abc'));
    big.write(Buffer.from('0123456789ABCDEFGHIJ'));
    expect(big.read()).toBe('[13 earlier bytes dropped]\nABCDEFGHIJ');
  });

  it('memory is bounded: the buffer is fixed, whatever is written', () => {
    const t = OutputTail.create();
    const chunk = Buffer.alloc(10_000, 'x');
    for (let i = 0; i < 1_000; i++) t.write(chunk); // 10 MB
    expect(t.buffer.byteLength).toBe(OUTPUT_TAIL_BYTES + 8);
    expect(t.written).toBe(10_000_000);
    const text = t.read();
    expect(text.startsWith(`[${10_000_000 - OUTPUT_TAIL_BYTES} earlier bytes dropped]\n`)).toBe(true);
    expect(text.length).toBeLessThan(OUTPUT_TAIL_BYTES + 100);
  });

  it('starts a cut tail at a whole character', () => {
    const t = OutputTail.create(8);
    t.write(Buffer.from('ééééé')); // 10 bytes (2 each)
    t.write(Buffer.from('x')); // the last 8 of 11 bytes start inside an é
    const text = t.read();
    expect(text).toMatch(/^\[\d+ earlier bytes dropped\]\né+x$/);
    expect(text).not.toContain('\uFFFD');
  });

  it('is readable from another view of the same shared memory (the executor, on the main thread)', () => {
    const t = OutputTail.create(32);
    new OutputTail(t.buffer).write(Buffer.from('from the thread\n'));
    expect(t.read()).toBe('from the thread\n');
  });
});

describe('captureOutput', () => {
  // console.* in an attempt's thread writes to these streams (vitest replaces console here; the
  // e2e tests of `mr logs` and `mr run --json` see console.log and console.error of a job)
  it('copies stdout and stderr writes into the current tail and lets none through: the thread\'s streams end on the process\'s stdout', () => {
    const through: string[] = [];
    const own = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: unknown) => through.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown) => through.push(String(chunk)) > 0) as typeof process.stderr.write;
    const t = OutputTail.create(1024);
    let calledBack = false;
    try {
      captureOutput(t, false);
      process.stderr.write('captured line\n');
      process.stdout.write(Buffer.from('bytes out\n'), () => (calledBack = true));
      captureOutput(undefined, false);
      process.stdout.write('between attempts\n');
    } finally {
      stopCapturingOutput();
      process.stdout.write = own.out;
      process.stderr.write = own.err;
    }
    expect(t.read()).toBe('captured line\nbytes out\n');
    expect(through).toEqual([]);
    return new Promise<void>((resolve) => process.nextTick(() => {
      expect(calledBack).toBe(true); // a writer waiting for its callback is not left waiting
      resolve();
    }));
  });
});

describe('userStack: the user\'s frames of what user code threw', () => {
  const engine = fileURLToPath(new URL('../task/map.js', import.meta.url));

  it('keeps the message and the user\'s frames, drops the engine\'s and node\'s', () => {
    const e = new Error('boom');
    e.stack = [
      'Error: boom',
      '    at explode (/home/me/job.ts:3:9)',
      '    at Object.map (/home/me/job.ts:7:5)',
      `    at file://${engine}:60:13`,
      `    at readSplitLines (${engine}:12:1)`,
      '    at new Promise (<anonymous>)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ].join('\n');
    const wrapped = new MrError('MR_ERR_USER_CODE', 'map threw on x at byte 0: boom', { cause: e });
    expect(userStack(wrapped)).toBe('Error: boom\n    at explode (/home/me/job.ts:3:9)\n    at Object.map (/home/me/job.ts:7:5)');
  });

  it('nothing when no frame is the user\'s', () => {
    const e = new Error('x');
    e.stack = `Error: x\n    at run (${engine}:1:1)`;
    expect(userStack(e)).toBeUndefined();
    expect(userStack('a string')).toBeUndefined();
  });
});
