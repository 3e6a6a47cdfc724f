import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream, createWriteStream } from 'node:fs';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { abortUpload, bsPath, MrError, partName, parseS3, readObject, requireLocalPath, s3Join, toMrError, uploadPending, waitDrain, type BlockStoreClient, type Logger, type PendingUpload, type wire } from '@mr/shared';
import type { AttemptPool } from '../exec/pool.js';
import { firstLineOf, MAX_FIRST_LINE_BYTES } from '../task/lines.js';
import { AWAITED, AWAITING_SLOT } from '../task/context.js';
import { OutputTail } from '../exec/output.js';
import type { Common as CommonInput } from '../exec/thread.js';
import type { ShuffleClients } from '../shuffle/client.js';
import type { SegmentRange, ShuffleStore } from '../shuffle/store.js';

export interface AttemptReport {
  attemptId: string;
  ok: boolean;
  /** Map attempts: the core workers that stored the output. */
  storedOn?: string[];
  /** Reduce attempts writing to s3://: their pending multipart upload. */
  pendingUpload?: PendingUpload;
  error?: string;
  errorCode?: string;
  failedRecord?: string;
  counters: Record<string, number>;
  partitionBytes: number[];
  /** Reduce tasks 1..R-1 of a gathering job: what they emitted (JSON pairs), for task 0. */
  gathered?: string[];
  /** Map attempts: the first record job code marked bad. */
  firstBad?: { offset: number; line: number; reason: string };
  /** Failed (or killed) attempts: the tail of what user code wrote to stdout and stderr. */
  output?: string;
  /** User-code errors: the stack trace, the user's frames. */
  stack?: string;
  /** The attempt was killed: the report only carries its output (the master already knows it ended). */
  killed?: boolean;
}


interface Running {
  /** Aborts the attempt's own I/O (fetches, pushes) at once. */
  ctl: AbortController;
  /** Terminates its thread: only when it does not stop by itself within THREAD_STOP_GRACE_MS. */
  threadCtl: AbortController;
  /**
   * Shared with the attempt's thread: [0] grows with progress (the task timeout), [1] = 1 asks it to
   * stop, [2] = 1 once `gathered` is posted, [AWAITING_SLOT] names the user function it awaits (AWAITED).
   */
  progress: Int32Array;
  /** A gathering reduce task 0 started before the others were done: where their output goes to its thread. */
  gathered?: MessagePort;
  log: Logger;
}

/**
 * A killed attempt's thread is asked to stop (it checks between records, then closes its files);
 * piscina terminates it only after this long, since files opened in a terminated thread stay open.
 */
const THREAD_STOP_GRACE_MS = 2_000;

export interface ExecutorDeps {
  nodeId: string;
  pool: AttemptPool;
  shuffle: ShuffleClients;
  /** Present on core workers: map outputs that ran here are moved into it (reads go through the in-process registry). */
  store: ShuffleStore | undefined;
  /** Scratch space for attempts; removed when each attempt ends (task workers keep nothing). */
  scratchDir: string;
  /** bs:// inputs and outputs. */
  bs: BlockStoreClient;
  resolveModule(hash: string): Promise<string>;
  report(r: AttemptReport): void;
  log: Logger;
  /** What user code writes goes on to this process's stderr as well as the attempt's tail. */
  forwardUserOutput: boolean;
}

/** Runs attempts assigned by the master: CPU work in the pool, shuffle I/O here. */
export class Executor {
  private readonly running = new Map<string, Running>();
  /** Called whenever an attempt ends (drain waits for the last one). */
  onIdle: () => void = () => {};

  constructor(private readonly d: ExecutorDeps) {}

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Each running attempt's progress counter, and the user function whose promise it awaits ('' for none). */
  progress(): { attemptId: string; units: number; awaiting: string }[] {
    return [...this.running].map(([attemptId, r]) => ({ attemptId, units: Atomics.load(r.progress, 0), awaiting: AWAITED[Atomics.load(r.progress, AWAITING_SLOT)] ?? '' }));
  }

  start(spec: wire.AttemptSpec): void {
    if (this.running.has(spec.attemptId)) return;
    const ctl = new AbortController();
    const threadCtl = new AbortController();
    const progress = new Int32Array(new SharedArrayBuffer(4 * (AWAITING_SLOT + 1)));
    const channel = spec.gatherPending ? new MessageChannel() : undefined;
    // what user code writes, kept by the thread in shared memory: readable however the attempt ends
    const output = OutputTail.create();
    const log = this.d.log.child({ jobId: spec.jobId, taskId: spec.taskId, attemptId: spec.attemptId });
    this.running.set(spec.attemptId, { ctl, threadCtl, progress, log, ...(channel ? { gathered: channel.port1 } : {}) });
    log.debug({ kind: spec.kind === 1 ? 'map' : 'reduce', attempt: spec.attempt }, 'attempt started');
    const outputOf = () => (output.written > 0 ? { output: output.read() } : {});
    void this.execute(spec, ctl.signal, progress, output, threadCtl.signal, channel?.port2).then(
      (r) => {
        if (ctl.signal.aborted) return this.reportKilled(spec.attemptId, output);
        log.debug('attempt succeeded');
        this.d.report({ attemptId: spec.attemptId, ok: true, ...r });
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return this.reportKilled(spec.attemptId, output); // the master already counts it
        const err = toMrError(e);
        log.warn({ code: err.code, err: err.message, outputBytes: output.written }, 'attempt failed');
        this.d.report({
          attemptId: spec.attemptId, ok: false, error: err.message, errorCode: err.code,
          ...(err.record !== undefined ? { failedRecord: err.record } : {}), ...(err.userStack !== undefined ? { stack: err.userStack } : {}),
          ...outputOf(), counters: {}, partitionBytes: [],
        });
      },
    ).finally(() => {
      channel?.port1.close();
      if (this.running.get(spec.attemptId)?.ctl === ctl) this.running.delete(spec.attemptId);
      this.onIdle();
    });
  }

  /** A killed attempt that wrote something: its output goes to the master for `mr logs` (timeouts, above all). */
  private reportKilled(attemptId: string, output: OutputTail): void {
    if (output.written === 0) return;
    this.d.report({ attemptId, ok: false, killed: true, output: output.read(), counters: {}, partitionBytes: [] });
  }

  /**
   * What reduce tasks 1..R-1 emitted, for a gathering task 0's attempt (gatherPending): to its
   * thread, which waits for it where ctx.gathered is first read. Unknown attempts (ended) are ignored.
   */
  deliverGathered(attemptId: string, rows: string[]): void {
    const r = this.running.get(attemptId);
    if (!r?.gathered) return;
    r.gathered.postMessage(rows);
    Atomics.store(r.progress, 2, 1);
    Atomics.notify(r.progress, 2);
  }

  kill(attemptId: string, reason: string): void {
    const r = this.running.get(attemptId);
    if (!r) return;
    r.log.info({ reason }, 'killing attempt');
    Atomics.store(r.progress, 1, 1);
    Atomics.notify(r.progress, 2); // a thread waiting for gathered output wakes to see it
    r.ctl.abort();
    setTimeout(() => r.threadCtl.abort(), THREAD_STOP_GRACE_MS).unref();
    this.running.delete(attemptId);
  }

  killAll(reason: string): void {
    for (const id of [...this.running.keys()]) this.kill(id, reason);
  }

  private async execute(spec: wire.AttemptSpec, signal: AbortSignal, progress: Int32Array, output: OutputTail, threadSignal: AbortSignal, gathered: MessagePort | undefined): Promise<Omit<AttemptReport, 'attemptId' | 'ok'>> {
    const job = spec.job?.moduleHash ? { modulePath: await this.d.resolveModule(spec.job.moduleHash) } : { builtin: spec.job?.builtin ?? '' };
    const params = JSON.parse(spec.paramsJson || '{}') as Record<string, string>;
    await mkdir(this.d.scratchDir, { recursive: true });
    const workDir = await mkdtemp(join(this.d.scratchDir, `${spec.attemptId}-`));
    const common: CommonInput = { job, params, jobId: spec.jobId, taskId: spec.taskId, attempt: spec.attempt, progress, output: output.buffer, forwardOutput: this.d.forwardUserOutput };
    try {
      return spec.kind === 1 /* MAP */
        ? await this.map(spec, common, workDir, signal, threadSignal)
        : await this.reduce(spec, common, workDir, signal, threadSignal, gathered);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private async map(spec: wire.AttemptSpec, common: CommonInput, workDir: string, signal: AbortSignal, threadSignal: AbortSignal) {
    const split = spec.split!;

    const remoteInput = split.uri.startsWith('bs://') || split.uri.startsWith('s3://');
    const range = remoteInput ? await this.materializeSplit(split, workDir) : { path: requireLocalPath(split.uri, 'input'), start: split.start, length: split.length };
    // a split that starts mid-file still sees the file's first line (ctx.firstLine: its header)
    const firstLine = split.start > 0 && !split.uri.endsWith('.gz') ? await firstLineOf((remoteInput ? this.rangeReader(split.uri) : localRangeReader(range.path))(0, MAX_FIRST_LINE_BYTES)) : undefined;
    const out = await this.d.pool.run(
      {
        kind: 'map', ...common,
        split: { uri: split.uri, ...range },
        numReducers: spec.numReducers, sortBufferBytes: spec.sortBufferBytes, workDir, skipOffsets: spec.skipOffsets,
        ...(firstLine !== undefined ? { firstLine } : {}),
      },
      threadSignal,
      [],
      taskMemoryMb(spec),
    );
    const { outputFile, partitionBytes } = out.map!;
    if (signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
    const header = { jobId: spec.jobId, mapIndex: spec.mapIndex, attemptId: spec.attemptId, partitionBytes };
    // every copy at once; the local one (a map on a core worker that is a target) last, since it moves the file
    const targets = [...spec.shuffleTargets].sort((a, b) => Number(a.nodeId === this.d.nodeId) - Number(b.nodeId === this.d.nodeId));
    const remote = targets.filter((t) => t.nodeId !== this.d.nodeId || !this.d.store);
    const results = await Promise.allSettled(remote.map((t) => this.d.shuffle.push(t.address, header, outputFile, signal).then(() => t.nodeId)));
    const storedOn = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (targets.some((t) => t.nodeId === this.d.nodeId) && this.d.store && !signal.aborted) {
      await this.d.store.adopt(spec.jobId, spec.attemptId, outputFile, partitionBytes);
      storedOn.push(this.d.nodeId);
    }
    // one copy is enough to go on (the master re-runs the map if it is lost too)
    if (storedOn.length === 0) {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw failed ? failed.reason : new MrError('MR_ERR_SHUFFLE', `map ${spec.taskId}: no core worker to store its output`);
    }
    return { counters: out.counters, partitionBytes, storedOn, ...(out.map!.firstBad ? { firstBad: out.map!.firstBad } : {}) };
  }

  private async reduce(spec: wire.AttemptSpec, common: CommonInput, workDir: string, signal: AbortSignal, threadSignal: AbortSignal, gatheredPort: MessagePort | undefined) {
    const segments = await this.fetchSegments(spec, workDir, signal, common.progress);
    const toBs = spec.attemptOutputUri.startsWith('bs://');
    const toS3 = spec.outputUri.startsWith('s3://');
    // the part is written in scratch space and moved to the attempt's output only if the attempt
    // still stands: a killed one must not create anything under the output (it may be committed already)
    const outputFile = join(workDir, partName(spec.partition));
    const out = await this.d.pool.run(
      { kind: 'reduce', ...common, partition: spec.partition, segments, outputFile, skipKeys: spec.skipKeys, gathered: spec.gathered, gatherOutput: spec.gatherOutput, ...(gatheredPort ? { gatheredPort } : {}) },
      threadSignal,
      gatheredPort ? [gatheredPort] : [],
      taskMemoryMb(spec),
    );
    const gathered = out.gathered ? { gathered: out.gathered } : {};
    if (signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
    if (!toBs && !toS3) {
      const outputDir = requireLocalPath(spec.attemptOutputUri, 'output');
      await mkdir(outputDir, { recursive: true });
      await rename(outputFile, join(outputDir, partName(spec.partition))).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EXDEV') throw e;
        await copyFile(outputFile, join(outputDir, partName(spec.partition))); // scratch on another file system
      });
    }
    // bs:// output: the part is written to the block store; the master commits it by a rename
    if (toBs) await this.d.bs.put(outputFile, `${bsPath(spec.attemptOutputUri)}/${partName(spec.partition)}`);
    // s3:// output: uploaded to its final key but left pending; the master completes it at job commit
    if (toS3) {
      const { bucket, key } = parseS3(spec.outputUri);
      const pendingUpload = await uploadPending(outputFile, bucket, s3Join(key, partName(spec.partition)));
      if (signal.aborted) {
        await abortUpload(pendingUpload); // killed meanwhile: no one will complete it
        throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
      }
      return { counters: out.counters, partitionBytes: [], pendingUpload, ...gathered };
    }
    return { counters: out.counters, partitionBytes: [], ...gathered };
  }

  /**
   * A bs:// or s3:// split copied to a local file for the reader: one byte before it (does a line
   * start at `start`?), the split, then on to the end of the line that crosses its end. `.gz` whole.
   */
  private async materializeSplit(split: wire.Split, workDir: string): Promise<{ path: string; start: number; length: number; offsetBase: number }> {
    const read = this.rangeReader(split.uri);
    const file = join(workDir, split.uri.endsWith('.gz') ? 'split.gz' : 'split.in');
    const out = createWriteStream(file);
    let failure: Error | undefined;
    out.on('error', (e) => (failure ??= e));
    const write = async (b: Buffer) => {
      if (failure) throw failure;
      if (!out.write(b)) await waitDrain(out);
    };
    const close = () => new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ?? failure ? reject(e ?? failure) : resolve())));
    if (split.uri.endsWith('.gz')) {
      for await (const b of read(0, Infinity)) await write(b);
      await close();
      return { path: file, start: 0, length: split.length, offsetBase: 0 };
    }
    const from = split.start > 0 ? split.start - 1 : 0;
    const end = split.start + split.length;
    for await (const b of read(from, end - from)) await write(b);
    for await (const b of read(end, Infinity)) {
      const nl = b.indexOf(10);
      await write(nl < 0 ? b : b.subarray(0, nl + 1));
      if (nl >= 0) break;
    }
    await close();
    return { path: file, start: split.start - from, length: split.length, offsetBase: from };
  }

  private rangeReader(uri: string): (offset: number, length: number) => AsyncIterable<Buffer> {
    if (uri.startsWith('bs://')) return (offset, length) => this.d.bs.read(bsPath(uri), offset, length);
    const { bucket, key } = parseS3(uri);
    return async function* (offset, length) {
      yield* (await readObject(bucket, key, offset, offset + length)) as AsyncIterable<Buffer>;
    };
  }

  /** Every map's segment of this partition: read in place when stored in this process, else fetched (8 at a time). */
  private async fetchSegments(spec: wire.AttemptSpec, workDir: string, outer: AbortSignal, progress: Int32Array): Promise<SegmentRange[]> {
    const refs = spec.mapOutputs;
    const segments: SegmentRange[] = new Array(refs.length);
    // the first failure stops the other fetchers (they write into workDir, which is then removed)
    const stop = new AbortController();
    const onOuter = () => stop.abort();
    outer.addEventListener('abort', onOuter, { once: true });
    const signal = stop.signal;
    let next = 0;
    const worker = async () => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i]!;
        if (signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
        const file = join(workDir, `seg-${ref.mapIndex}`);
        const req = { jobId: spec.jobId, mapIndex: ref.mapIndex, attemptId: ref.attemptId, partition: spec.partition };
        // this worker's own copy first (its store is in the in-process registry: read in place),
        // then fail over between the others; the last error stands when none can be read
        const holders = [...ref.holders].sort((a, b) => Number(b.nodeId === this.d.nodeId) - Number(a.nodeId === this.d.nodeId));
        let lastError: unknown;
        for (const h of holders) {
          try {
            segments[i] = await this.d.shuffle.segment(h.address, req, file, signal);
            lastError = undefined;
            break;
          } catch (e) {
            lastError = e;
            if (signal.aborted) throw e;
          }
        }
        if (lastError !== undefined) throw lastError;
        Atomics.add(progress, 0, 1);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(8, refs.length) }, () => worker().catch((e: unknown) => {
      stop.abort();
      throw e;
    })));
    outer.removeEventListener('abort', onOuter);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return segments;
  }
}

/** The job's --task-memory in MiB, or undefined for the worker's default. */
function taskMemoryMb(spec: wire.AttemptSpec): number | undefined {
  return spec.taskMemoryBytes > 0 ? Math.ceil(spec.taskMemoryBytes / (1024 * 1024)) : undefined;
}

function localRangeReader(path: string): (offset: number, length: number) => AsyncIterable<Buffer> {
  return (offset, length) => createReadStream(path, { start: offset, end: offset + length - 1, highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;
}
