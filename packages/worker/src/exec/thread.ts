/**
 * Piscina thread entry: runs one attempt's CPU work on local files. Network I/O (shuffle push and
 * fetch) stays on the main thread. Errors never cross as exceptions: they come back as
 * `{ code, message }` and the executor rebuilds the MrError (style.md: errors across threads).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { MrError, systemResourceError, toMrError, type WireError } from '@mr/shared/core';
import { loadJob } from '../task/load-job.js';
import { runMap, type MapResult } from '../task/map.js';
import { runReduce } from '../task/reduce.js';
import type { SplitRange } from '../task/lines.js';
import type { SegmentRange } from '../shuffle/store.js';
import { captureOutput, OutputTail, userStack } from './output.js';

/** How long a thread waiting for gathered output sleeps between looks at the kill flag. */
const GATHER_POLL_MS = 100;

/**
 * Blocks the thread until the executor posts what reduce tasks 1..R-1 emitted (progress[2] is
 * set with it), or the attempt is killed. Synchronous, since job code reads ctx.gathered as a
 * plain value.
 */
function awaitGathered(port: MessagePort, progress: Int32Array): string[] {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as string[];
    if (Atomics.load(progress, 1) === 1) throw new MrError('MR_ERR_ATTEMPT_KILLED', 'attempt killed');
    Atomics.wait(progress, 2, 0, GATHER_POLL_MS);
  }
}

export interface Common {
  job: { builtin?: string; modulePath?: string };
  params: Record<string, string>;
  jobId: string;
  taskId: string;
  attempt: number;
  /** Shared with the main thread (SharedArrayBuffer): [0] grows as records go by, [1] = 1 asks the attempt to stop, [3] the function awaited (context.ts AWAITING_SLOT). */
  progress: Int32Array;
  /** Shared with the main thread: an OutputTail's buffer, the tail of what user code writes. */
  output?: SharedArrayBuffer;
  /** What user code writes also goes to the process's stderr (a worker's own; `mr run` only with --verbose). */
  forwardOutput: boolean;
}

export type ThreadInput =
  | (Common & { kind: 'map'; split: SplitRange & { uri: string }; numReducers: number; sortBufferBytes: number; workDir: string; skipOffsets: number[]; firstLine?: string })
  | (Common & {
    kind: 'reduce'; partition: number; segments: SegmentRange[]; outputFile: string; skipKeys: string[]; gathered: string[]; gatherOutput: boolean;
    /** A gathering task 0 started before the others were done: their output arrives here (see awaitGathered). */
    gatheredPort?: MessagePort;
  });

export type ThreadOutput =
  | { ok: true; map?: MapResult; counters: Record<string, number>; gathered?: string[] }
  | { ok: false; error: WireError };

export default async function runAttempt(input: ThreadInput): Promise<ThreadOutput> {
  captureOutput(input.output ? new OutputTail(input.output) : undefined, input.forwardOutput);
  try {
    const job = await loadJob(input.job);
    if (input.kind === 'map') {
      const map = await runMap({ ...input, job });
      return { ok: true, map, counters: map.counters };
    }
    const { gatheredPort } = input;
    return { ok: true, ...(await runReduce({ ...input, job, ...(gatheredPort ? { awaitGathered: () => awaitGathered(gatheredPort, input.progress) } : {}) })) };
  } catch (e) {
    // the engine's own file I/O running out of descriptors or disk is not the user's code failing
    const err = systemResourceError(e, `${input.kind} ${input.taskId}`) ?? toMrError(e, 'MR_ERR_USER_CODE');
    const error = err.toWire();
    // the user's frames of what their code threw (`mr logs`): the line that threw
    const stack = err.code === 'MR_ERR_USER_CODE' ? userStack(e) : undefined;
    if (stack !== undefined) error.userStack = stack;
    return { ok: false, error };
  } finally {
    captureOutput(undefined, input.forwardOutput);
  }
}
