import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MrError, requireLocalPath, toMrError, type Logger, type wire } from '@mr/shared';
import type { AttemptPool } from '../exec/pool.js';
import type { ShuffleClients } from '../shuffle/client.js';
import type { SegmentRange, ShuffleStore } from '../shuffle/store.js';

export interface AttemptReport {
  attemptId: string;
  ok: boolean;
  error?: string;
  counters: Record<string, number>;
  partitionBytes: number[];
}

export interface ExecutorDeps {
  nodeId: string;
  pool: AttemptPool;
  shuffle: ShuffleClients;
  /** Present on core workers: map outputs stored here, and fetched from here without a copy. */
  store: ShuffleStore | undefined;
  /** Scratch space for attempts; removed when each attempt ends (task workers keep nothing). */
  scratchDir: string;
  resolveModule(hash: string): Promise<string>;
  report(r: AttemptReport): void;
  log: Logger;
}

/** Runs attempts assigned by the master: CPU work in the pool, shuffle I/O here. */
export class Executor {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly d: ExecutorDeps) {}

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  start(spec: wire.AttemptSpec): void {
    if (this.running.has(spec.attemptId)) return;
    const ctl = new AbortController();
    this.running.set(spec.attemptId, ctl);
    const log = this.d.log.child({ jobId: spec.jobId, taskId: spec.taskId, attempt: spec.attempt });
    log.debug('attempt started');
    void this.execute(spec, ctl.signal).then(
      (r) => {
        if (ctl.signal.aborted) return;
        log.debug('attempt succeeded');
        this.d.report({ attemptId: spec.attemptId, ok: true, ...r });
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return; // killed: the master already counts it
        const err = toMrError(e);
        log.warn({ code: err.code, err: err.message }, 'attempt failed');
        this.d.report({ attemptId: spec.attemptId, ok: false, error: err.message, counters: {}, partitionBytes: [] });
      },
    ).finally(() => this.running.delete(spec.attemptId));
  }

  kill(attemptId: string, reason: string): void {
    const ctl = this.running.get(attemptId);
    if (!ctl) return;
    this.d.log.info({ attemptId, reason }, 'killing attempt');
    ctl.abort();
    this.running.delete(attemptId);
  }

  killAll(reason: string): void {
    for (const id of [...this.running.keys()]) this.kill(id, reason);
  }

  private async execute(spec: wire.AttemptSpec, signal: AbortSignal): Promise<{ counters: Record<string, number>; partitionBytes: number[] }> {
    const job = spec.job?.moduleHash ? { modulePath: await this.d.resolveModule(spec.job.moduleHash) } : { builtin: spec.job?.builtin ?? '' };
    const params = JSON.parse(spec.paramsJson || '{}') as Record<string, string>;
    await mkdir(this.d.scratchDir, { recursive: true });
    const workDir = await mkdtemp(join(this.d.scratchDir, `${spec.attemptId}-`));
    try {
      return spec.kind === 1 /* MAP */
        ? await this.map(spec, job, params, workDir, signal)
        : await this.reduce(spec, job, params, workDir, signal);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private async map(spec: wire.AttemptSpec, job: { builtin?: string; modulePath?: string }, params: Record<string, string>, workDir: string, signal: AbortSignal) {
    const split = spec.split!;
    const target = spec.shuffleTarget!;
    const out = await this.d.pool.run(
      {
        kind: 'map', job, params, taskId: spec.taskId, attempt: spec.attempt,
        split: { uri: split.uri, path: requireLocalPath(split.uri, 'input'), start: split.start, length: split.length },
        numReducers: spec.numReducers, sortBufferBytes: spec.sortBufferBytes, workDir,
      },
      signal,
    );
    const { outputFile, partitionBytes } = out.map!;
    const header = { jobId: spec.jobId, mapIndex: spec.mapIndex, attemptId: spec.attemptId, partitionBytes };
    if (target.nodeId === this.d.nodeId && this.d.store) await this.d.store.adopt(spec.jobId, spec.attemptId, outputFile, partitionBytes);
    else await this.d.shuffle.push(target.address, header, outputFile, signal);
    return { counters: out.counters, partitionBytes };
  }

  private async reduce(spec: wire.AttemptSpec, job: { builtin?: string; modulePath?: string }, params: Record<string, string>, workDir: string, signal: AbortSignal) {
    const segments = await this.fetchSegments(spec, workDir, signal);
    const outputDir = requireLocalPath(spec.attemptOutputUri, 'output');
    const out = await this.d.pool.run(
      { kind: 'reduce', job, params, taskId: spec.taskId, attempt: spec.attempt, segments, outputFile: join(outputDir, partName(spec.partition)) },
      signal,
    );
    return { counters: out.counters, partitionBytes: [] };
  }

  /** Every map's segment of this partition: read in place when stored here, else fetched (8 at a time). */
  private async fetchSegments(spec: wire.AttemptSpec, workDir: string, signal: AbortSignal): Promise<SegmentRange[]> {
    const refs = spec.mapOutputs;
    const segments: SegmentRange[] = new Array(refs.length);
    let next = 0;
    const worker = async () => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i]!;
        if (signal.aborted) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
        if (ref.node!.nodeId === this.d.nodeId && this.d.store) {
          segments[i] = await this.d.store.segment(spec.jobId, ref.attemptId, spec.partition);
          continue;
        }
        const file = join(workDir, `seg-${ref.mapIndex}`);
        const req = { jobId: spec.jobId, mapIndex: ref.mapIndex, attemptId: ref.attemptId, partition: spec.partition };
        const length = await this.d.shuffle.fetch(ref.node!.address, req, file, signal);
        segments[i] = { file, start: 0, length };
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, refs.length) }, worker));
    return segments;
  }
}

export function partName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}`;
}
