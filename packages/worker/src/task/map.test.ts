import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import wordcount from '../../../jobs/src/wordcount.js';
import { defineJob, RecordWriter } from '@mr/shared/core';
import { PROGRESS_EVERY, runMap } from './map.js';
import { runReduce } from './reduce.js';
import { AWAITED } from './context.js';

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
    expect(progress[0]).toBe(PROGRESS_EVERY);
  });

  it("gives job code the offset, the file's first line (also in a split that starts mid-file) and bad-record marks", async () => {
    const file = join(dir, 'hdr.txt');
    writeFileSync(file, 'h1 h2\nx\nbad\ny\nbad\n'); // offsets 0, 6, 8, 12, 14
    const seen: string[] = [];
    const job = defineJob({
      name: 'probe',
      map(line, _emit, ctx) {
        seen.push(`${ctx.offset}:${line}:${ctx.firstLine}`);
        if (ctx.offset === 0) ctx.headerRecord();
        else if (line === 'bad') ctx.badRecord(`'${line}' is bad`);
      },
      mapCleanup(emit, ctx) {
        emit('done', ctx.offset); // after the last record
      },
      reduce() {},
    });
    const base = { job, params: {}, jobId: 'j', taskId: 'm-00001', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20 };
    const whole = await runMap({ ...base, split: { uri: file, path: file, start: 0, length: statSync(file).size }, workDir: mkdtempSync(join(dir, 'w-')) });
    expect(seen).toEqual(['0:h1 h2:h1 h2', '6:x:h1 h2', '8:bad:h1 h2', '12:y:h1 h2', '14:bad:h1 h2']);
    expect(whole.counters).toMatchObject({ inputRecords: 5, headerRecords: 1, badRecords: 2, mapOutputRecords: 1 });
    expect(whole.firstBad).toEqual({ offset: 8, line: 3, reason: "'bad' is bad" });
    seen.length = 0;
    // the second half: the executor passes the file's first line in
    const tail = await runMap({ ...base, split: { uri: file, path: file, start: 10, length: statSync(file).size - 10 }, firstLine: 'h1 h2', workDir: mkdtempSync(join(dir, 'w-')) });
    expect(seen).toEqual(['12:y:h1 h2', '14:bad:h1 h2']);
    expect(tail.firstBad).toEqual({ offset: 14, line: 2, reason: "'bad' is bad" });
  });

  it('mapSetup runs once before the first record with ctx.firstLine set, in a split at the start (plain or .gz) and further in', async () => {
    const plain = join(dir, 'setup.txt');
    writeFileSync(plain, 'h1 h2\nx\ny\n');
    const gz = join(dir, 'setup.txt.gz');
    writeFileSync(gz, gzipSync('g1 g2\nz\n'));
    const calls: string[] = [];
    const job = defineJob({
      name: 'setup-probe',
      mapSetup(ctx) {
        calls.push(`setup ${ctx.firstLine} ${ctx.input}`);
      },
      map(line, _emit, ctx) {
        calls.push(`map ${ctx.offset}:${line}`);
      },
      reduce() {},
    });
    const base = { job, params: {}, jobId: 'j', taskId: 'm-00003', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20 };
    await runMap({ ...base, split: { uri: plain, path: plain, start: 0, length: 8 }, workDir: mkdtempSync(join(dir, 'w-')) });
    expect(calls).toEqual([`setup h1 h2 ${plain}`, 'map 0:h1 h2', 'map 6:x']);
    calls.length = 0;
    await runMap({ ...base, split: { uri: plain, path: plain, start: 8, length: 2 }, firstLine: 'h1 h2', workDir: mkdtempSync(join(dir, 'w-')) });
    expect(calls).toEqual([`setup h1 h2 ${plain}`, 'map 8:y']);
    calls.length = 0;
    await runMap({ ...base, split: { uri: gz, path: gz, start: 0, length: 1 }, workDir: mkdtempSync(join(dir, 'w-')) });
    expect(calls).toEqual([`setup g1 g2 ${gz}`, 'map 0:g1 g2', 'map 6:z']);
  });

  it("input 'bytes': each line's bytes in one reused view, with the same offsets, first line, skips and errors as 'lines'", async () => {
    const file = join(dir, 'bytes.txt');
    writeFileSync(file, 'h1 h2\r\nZürich\r\n\r\nthrow\r\nlast'); // offsets 0, 7, 16, 18, 25; CRLF, no final newline
    const seen: string[] = [];
    const views = new Set<object>();
    const job = defineJob({
      name: 'bytes-probe',
      input: 'bytes',
      map(line, emit, ctx) {
        views.add(line);
        const text = line.bytes.toString('utf8', line.start, line.end);
        if (text === 'throw') throw new Error('no');
        seen.push(`${ctx.offset}:${text}:${ctx.firstLine}`);
        emit(text, line.end - line.start);
      },
      reduce() {},
    });
    const base = { job, params: {}, jobId: 'j', taskId: 'm-00002', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20 };
    const split = { uri: file, path: file, start: 0, length: 29 };
    await expect(runMap({ ...base, split, workDir: mkdtempSync(join(dir, 'w-')) })).rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', record: 'offset:18' });
    seen.length = 0;
    views.clear();
    const r = await runMap({ ...base, split, skipOffsets: [18], workDir: mkdtempSync(join(dir, 'w-')) });
    expect(seen).toEqual(['0:h1 h2:h1 h2', '7:Zürich:h1 h2', '16::h1 h2', '25:last:h1 h2']);
    expect(views.size).toBe(1); // no object per line
    expect(r.counters).toMatchObject({ inputRecords: 5, skippedRecords: 1, mapOutputRecords: 4 });
  });

  /** Words emitted one by one, and a cleanup record; its twin awaits a turn of the event loop before each step. */
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  const words = defineJob<number, number>({
    name: 'words',
    map(line, emit) {
      for (const w of line.split(' ')) emit(w, 1);
    },
    mapCleanup: (emit) => emit('~cleanup', 1),
    combine: (_k, values) => values.reduce((a, b) => a + b, 0),
    reduce() {},
  });
  const asyncWords = defineJob<number, number>({
    ...words,
    name: 'async-words',
    async mapSetup(ctx) {
      await tick();
      ctx.counter('setups');
    },
    async map(line, emit, ctx) {
      await tick();
      await words.map(line, emit, ctx);
    },
    async mapCleanup(emit) {
      await tick();
      emit('~cleanup', 1);
    },
  });

  it('an async map (and mapSetup, mapCleanup) is awaited record by record: the same output as the sync job, its emits all kept', async () => {
    const progress = new Int32Array(new SharedArrayBuffer(16));
    const sync = await runMap({ ...task(new Int32Array(new SharedArrayBuffer(16))), job: words });
    const r = await runMap({ ...task(progress), job: asyncWords });
    expect(r.counters).toMatchObject({ inputRecords: 2000, setups: 1 });
    expect(r.partitionBytes).toEqual(sync.partitionBytes);
    expect(readFileSync(r.outputFile)).toEqual(readFileSync(sync.outputFile));
    expect(readFileSync(r.outputFile).includes('~cleanup')).toBe(true);
    expect(progress[0]).toBe(2000);
    expect(progress[3]).toBe(0); // awaiting nothing once done
  });

  it("input 'bytes', async: a record's bytes stay valid until its promise settles", async () => {
    const file = join(dir, 'bytes-async.txt');
    writeFileSync(file, Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const seen: string[] = [];
    const job = defineJob({
      name: 'bytes-async', input: 'bytes',
      async map(line, emit) {
        await tick();
        const text = line.bytes.toString('utf8', line.start, line.end);
        seen.push(text);
        emit(text, 1);
      },
      reduce() {},
    });
    const r = await runMap({ job, params: {}, jobId: 'j', taskId: 'm-00004', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20, split: { uri: file, path: file, start: 0, length: statSync(file).size }, workDir: mkdtempSync(join(dir, 'w-')) });
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i}`));
    expect(r.counters.mapOutputRecords).toBe(500);
  });

  it('marks the function it awaits in the shared progress (the heartbeat names it when a task timeout ends the wait)', async () => {
    const progress = new Int32Array(new SharedArrayBuffer(16));
    let release!: () => void;
    const job = defineJob({
      name: 'waits', map: () => new Promise<void>((resolve) => (release = resolve)), reduce() {},
    });
    const file = join(dir, 'one-line.txt');
    writeFileSync(file, 'x\n');
    const run = runMap({ job, params: {}, jobId: 'j', taskId: 'm-00005', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20, split: { uri: file, path: file, start: 0, length: 2 }, workDir: mkdtempSync(join(dir, 'w-')), progress });
    await vi.waitFor(() => expect(progress[3]).toBe(AWAITED.indexOf('map')));
    expect(progress[0]).toBe(1); // the record counts as progress when the wait starts
    release();
    await run;
    expect(progress[3]).toBe(0);
  });

  it('a rejected promise fails the attempt like a throw: the user error as cause, the record named', async () => {
    const file = join(dir, 'reject.txt');
    writeFileSync(file, 'ok\nbad\n');
    const job = defineJob({
      name: 'rejects',
      async map(line) {
        await tick();
        if (line === 'bad') throw new Error('rejected here');
      },
      reduce() {},
    });
    const err = await runMap({ job, params: {}, jobId: 'j', taskId: 'm-00006', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20, split: { uri: file, path: file, start: 0, length: 7 }, workDir: mkdtempSync(join(dir, 'w-')) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MR_ERR_USER_CODE', message: `map threw on ${file} at byte 3: rejected here`, record: 'offset:3' });
    expect(((err as Error).cause as Error).stack).toMatch(/map\.test\.ts/);
  });

  it('an emit after map returned (a timer, a promise it did not return) fails the attempt instead of landing elsewhere', async () => {
    const file = join(dir, 'late.txt');
    writeFileSync(file, 'a\nb\n'.repeat(200));
    const job = defineJob({
      name: 'late',
      map(line, emit) {
        void tick().then(() => emit(line, 1));
      },
      reduce() {},
    });
    await expect(runMap({ job, params: {}, jobId: 'j', taskId: 'm-00007', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20, split: { uri: file, path: file, start: 0, length: 800 }, workDir: mkdtempSync(join(dir, 'w-')) }))
      .rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', message: expect.stringMatching(/^emit was called after map had returned or settled/) });
  });

  it('combine and partition must answer synchronously: a promise fails the attempt with one line naming them', async () => {
    const file = join(dir, 'combine.txt');
    writeFileSync(file, 'a a\n');
    const base = { params: {}, jobId: 'j', taskId: 'm-00008', attempt: 0, numReducers: 2, sortBufferBytes: 1 << 20, split: { uri: file, path: file, start: 0, length: 4 } };
    // a map that emits every word on its own, so that 'a' has two values to combine
    const words = defineJob<number, number>({ ...wordcount, map: (line, emit) => line.split(' ').forEach((w) => emit(w, 1)) });
    const promised = { ...words, combine: (_k: string, values: number[]) => Promise.resolve(values.length) as unknown as number };
    await expect(runMap({ ...base, job: promised, workDir: mkdtempSync(join(dir, 'w-')) }))
      .rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', message: "combine returned a promise for key 'a': combine must return the combined value (it cannot be async)" });
    const partitioned = { ...words, partition: () => Promise.resolve(0) as unknown as number };
    await expect(runMap({ ...base, job: partitioned, workDir: mkdtempSync(join(dir, 'w-')) }))
      .rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', message: expect.stringContaining("partition('a', 2) returned a promise; it must return the part number") });
  });
});

describe('reduce attempt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reduce-'));
  // a job that keeps the largest value and emits it from cleanup (a top 1)
  const top1 = defineJob<number, number>({
    name: 'top1',
    map() {},
    reduce(key, values, _emit, ctx) {
      const best = (ctx as unknown as { best?: [string, number] });
      for (const v of values) if (!best.best || v > best.best[1]) best.best = [key, v];
    },
    reduceCleanup(emit, ctx) {
      const best = (ctx as unknown as { best?: [string, number] }).best;
      let winner = best;
      for (const [k, v] of ctx.gathered as [string, number][]) if (!winner || v > winner[1]) winner = [k, v];
      if (winner) emit(winner[0], winner[1]);
    },
  });
  const segment = (records: [string, number][]) => {
    const file = join(mkdtempSync(join(dir, 's-')), 'seg');
    const w = new RecordWriter();
    for (const [k, v] of records) w.write(k, v);
    writeFileSync(file, w.toBuffer());
    return { file, start: 0, length: w.bytes };
  };

  it('an error thrown by mapCleanup or reduceCleanup is the job\'s (MR_ERR_USER_CODE), named', async () => {
    const broken = defineJob({
      name: 'broken', map() {}, reduce() {},
      mapCleanup() { throw new Error('no flush'); },
      reduceCleanup() { throw new Error('no top'); },
    });
    const file = join(dir, 'one.txt');
    writeFileSync(file, 'x\n');
    await expect(runMap({ job: broken, params: {}, jobId: 'j', taskId: 'm-00000', attempt: 0, numReducers: 1, sortBufferBytes: 1 << 20, split: { uri: file, path: file, start: 0, length: 2 }, workDir: mkdtempSync(join(dir, 'w-')) }))
      .rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', message: `mapCleanup threw on ${file}: no flush` });
    await expect(runReduce({ job: broken, params: {}, jobId: 'j', taskId: 'r-00000', attempt: 0, segments: [], outputFile: join(dir, 'broken-part') }))
      .rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', message: 'reduceCleanup threw: no top' });
  });

  it('a gathering task 1..R-1 hands back what it emits and writes an empty part; task 0 sees it in ctx.gathered', async () => {
    const out1 = join(dir, 'part-1');
    const r1 = await runReduce({ job: top1, params: {}, jobId: 'j', taskId: 'r-00001', attempt: 0, segments: [segment([['a', 5], ['b', 9]])], outputFile: out1, gatherOutput: true });
    expect(r1.gathered).toEqual(['["b",9]']);
    expect(readFileSync(out1, 'utf8')).toBe('');
    const out0 = join(dir, 'part-0');
    await runReduce({ job: top1, params: {}, jobId: 'j', taskId: 'r-00000', attempt: 0, segments: [segment([['c', 7]])], outputFile: out0, gathered: r1.gathered! });
    expect(readFileSync(out0, 'utf8')).toBe('b\t9\n');
  });

  it('task 0 started before the others are done reduces its own keys first and waits for their output where ctx.gathered is read', async () => {
    const calls: string[] = [];
    const tracing = defineJob<number, number>({
      ...top1,
      reduce(key, values, emit, ctx) {
        calls.push(`reduce ${key}`);
        top1.reduce(key, values, emit, ctx);
      },
      reduceCleanup(emit, ctx) {
        calls.push('cleanup');
        void ctx.gathered; // read twice: waited for once
        top1.reduceCleanup!(emit, ctx);
      },
    });
    const out0 = join(dir, 'part-0-pending');
    const awaitGathered = () => (calls.push('wait'), ['["b",9]']);
    await runReduce({ job: tracing, params: {}, jobId: 'j', taskId: 'r-00000', attempt: 0, segments: [segment([['c', 7], ['d', 1]])], outputFile: out0, awaitGathered });
    expect(calls).toEqual(['reduce c', 'reduce d', 'cleanup', 'wait']);
    expect(readFileSync(out0, 'utf8')).toBe('b\t9\n');
  });

  it('writes `key<TAB>value` lines of any size and text (values formatted as contract.md says)', async () => {
    const echo = defineJob<unknown, unknown>({
      name: 'echo',
      map() {},
      reduce(key, values, emit) {
        for (const v of values) emit(key, v);
      },
    });
    const big = 'é'.repeat(1_500_000); // 3 MB of UTF-8: larger than the writer's buffer
    const records: [string, unknown][] = [['a', 1.5], ['b', big], ['c', { x: [1] }], ['d', '😀 ü'], ['e\u4e2d', 'end']];
    const file = join(mkdtempSync(join(dir, 's-')), 'seg');
    const w = new RecordWriter();
    for (const [k, v] of records) w.write(k, v);
    writeFileSync(file, w.toBuffer());
    const out = join(dir, 'part-lines');
    await runReduce({ job: echo, params: {}, jobId: 'j', taskId: 'r-00000', attempt: 0, segments: [{ file, start: 0, length: w.bytes }], outputFile: out });
    expect(readFileSync(out, 'utf8')).toBe(`a\t1.5\nb\t${big}\nc\t{"x":[1]}\nd\t😀 ü\ne\u4e2d\tend\n`);
  });

  it('an async reduce and reduceCleanup are awaited key by key: values readable after an await, every emit kept', async () => {
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    const job = defineJob<number, number>({
      name: 'async-sum',
      map() {},
      async reduce(key, values, emit) {
        await tick();
        let n = 0;
        for (const v of values) n += v;
        await tick();
        emit(key, n);
      },
      async reduceCleanup(emit) {
        await tick();
        emit('~end', 0);
      },
    });
    const out = join(dir, 'part-async');
    const r = await runReduce({ job, params: {}, jobId: 'j', taskId: 'r-00000', attempt: 0, segments: [segment([['a', 1], ['a', 2], ['b', 5]]), segment([['a', 4], ['c', 1]])], outputFile: out });
    expect(readFileSync(out, 'utf8')).toBe('a\t7\nb\t5\nc\t1\n~end\t0\n');
    expect(r.counters).toMatchObject({ reduceInputGroups: 3, outputRecords: 4 });
  });

  it('a rejected reduce fails the attempt naming the key', async () => {
    const job = defineJob<number, number>({
      name: 'async-throws', map() {},
      async reduce(key) {
        await Promise.resolve();
        if (key === 'b') throw new Error('no b');
      },
    });
    await expect(runReduce({ job, params: {}, jobId: 'j', taskId: 'r-00000', attempt: 0, segments: [segment([['a', 1], ['b', 2]])], outputFile: join(dir, 'part-rej') }))
      .rejects.toMatchObject({ code: 'MR_ERR_USER_CODE', message: "reduce threw on key 'b': no b", record: 'key:b' });
  });
});
