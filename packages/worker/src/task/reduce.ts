import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatValue, isThenable, MAX_GATHERED_BYTES, MrError, RecordReader, type JobDefinition } from '@mr/shared/core';
import { AWAITING_SLOT, awaitUser, Counters, EmitWindow, runHook, TaskContext } from './context.js';
import { GroupedMerge } from './merge.js';

export interface ReduceTask {
  job: JobDefinition;
  params: Record<string, string>;
  jobId: string;
  taskId: string;
  attempt: number;
  partition?: number;
  /** Local files, each one map's sorted segment for this partition. */
  segments: { file: string; start: number; length: number }[];
  /** Where the attempt writes its part (a temporary path; the master commits it). */
  outputFile: string;
  /** --skip-bad-records: keys whose reduce threw twice. */
  skipKeys?: string[];
  progress?: Int32Array;
  /**
   * A gathering job (JobDefinition.gather): tasks 1..R-1 set `gatherOutput` and hand what they
   * emit back (their part stays empty); task 0 gets theirs in `gathered`.
   */
  gatherOutput?: boolean;
  gathered?: string[];
  /**
   * Task 0 started before tasks 1..R-1 were done: their output, when it is ready (blocks until
   * then). Called where job code first reads ctx.gathered, so task 0 reduces its own keys meanwhile.
   */
  awaitGathered?: () => string[];
}

const FLUSH_BYTES = 1 << 20;

/**
 * merge sorted segments -> reduce per key -> `key<TAB>value` lines (or, gathering, JSON pairs for
 * task 0). An async reduce (or reduceCleanup) is awaited before the next key; a sync one costs no promise.
 */
export async function runReduce(t: ReduceTask): Promise<{ counters: Record<string, number>; gathered?: string[] }> {
  const counters = new Counters();
  const { awaitGathered } = t;
  const gatheredPairs = awaitGathered ? () => awaitGathered().map(parsePair) : (t.gathered ?? []).map(parsePair);
  const ctx = new TaskContext(t.params, t.jobId, t.taskId, t.attempt, counters, undefined, gatheredPairs, t.partition);
  const gathered: string[] | undefined = t.gatherOutput ? [] : undefined;
  let gatheredBytes = 0;
  const merge = new GroupedMerge(openSegments(t.segments));
  let fd: number;
  try {
    mkdirSync(dirname(t.outputFile), { recursive: true });
    fd = openSync(t.outputFile, 'w');
  } catch (e) {
    merge.close();
    throw e;
  }
  const out = new PartWriter(fd);
  let records = 0;
  let groups = 0;
  const window = new EmitWindow('reduce');
  const emit = (key: string, value: unknown) => {
    if (!window.open) return window.closedEmit();
    if (typeof key !== 'string') throw new MrError('MR_ERR_USER_CODE', `emit: key must be a string, got ${typeof key}`);
    if (gathered) {
      const pair = JSON.stringify([key, value]);
      gatheredBytes += Buffer.byteLength(pair);
      if (gatheredBytes > MAX_GATHERED_BYTES) throw new MrError('MR_ERR_USER_CODE', `a gathering reduce task may hand at most ${MAX_GATHERED_BYTES} bytes to task 0`);
      gathered.push(pair);
      return;
    }
    records++;
    out.line(key, formatValue(value));
  };
  const skip = new Set(t.skipKeys ?? []);
  const progress = t.progress ?? new Int32Array(AWAITING_SLOT + 1);
  let skipped = 0;
  try {
    while (merge.nextKey()) {
      groups++;
      progress[0] = (progress[0]! + 1) | 0;
      if (progress[1] === 1) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
      window.check();
      const key = merge.key;
      if (skip.size > 0 && skip.has(key)) {
        skipped++;
        continue;
      }
      window.open = true;
      try {
        const r = t.job.reduce(key, merge.values(), emit, ctx);
        // the merge stays on this key (its values readable) until the promise settles
        if (isThenable(r)) await awaitUser(r, 'reduce', progress);
      } catch (e) {
        throw new MrError('MR_ERR_USER_CODE', `reduce threw on key '${key.slice(0, 100)}': ${(e as Error)?.message ?? e}`, { cause: e, record: `key:${key}` });
      }
      window.open = false;
    }
    window.check();
    const { reduceCleanup } = t.job;
    if (reduceCleanup) await runHook('reduceCleanup threw', 'reduceCleanup', () => reduceCleanup.call(t.job, emit, ctx), progress, window);
    out.flush();
  } finally {
    closeSync(fd);
    merge.close(); // after a user-code error, the segments still open
  }
  counters.add('reduceInputGroups', groups);
  counters.add('outputRecords', records);
  counters.add('skippedRecords', skipped);
  return { counters: counters.values, ...(gathered ? { gathered } : {}) };
}

/** One reader (one descriptor, none for an empty segment) per segment; all closed again if one cannot be opened. */
function openSegments(segments: ReduceTask['segments']): RecordReader[] {
  const readers: RecordReader[] = [];
  try {
    for (const s of segments) readers.push(RecordReader.fromFile(s.file, s.start, s.length));
  } catch (e) {
    for (const r of readers) r.close();
    throw e;
  }
  return readers;
}

/**
 * The part's `key<TAB>value` lines, encoded straight into a buffer written out a MiB at a time:
 * no string is built per line (nor a rope flattened per flush).
 */
class PartWriter {
  private readonly buf = Buffer.allocUnsafe(2 * FLUSH_BYTES);
  private pos = 0;

  constructor(private readonly fd: number) {}

  line(key: string, text: string): void {
    const room = 3 * (key.length + text.length) + 2; // UTF-8 takes at most 3 bytes a UTF-16 unit
    if (this.pos + room > this.buf.length) {
      this.flush();
      if (room > this.buf.length) {
        writeSync(this.fd, key + '\t' + text + '\n');
        return;
      }
    }
    const b = this.buf;
    let p = this.pos;
    p += b.write(key, p, 'utf8');
    b[p++] = 9; // \t
    p += b.write(text, p, 'utf8');
    b[p++] = 10; // \n
    this.pos = p;
    if (p >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    for (let off = 0; off < this.pos; ) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }
}

function parsePair(json: string): readonly [string, unknown] {
  const p = JSON.parse(json) as unknown;
  if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string') throw new MrError('MR_ERR_INTERNAL', 'a gathered record is not a [key, value] pair');
  return [p[0], p[1]];
}
