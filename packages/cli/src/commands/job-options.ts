import { Option, type Command } from 'commander';
import { builtinJobs } from '@mr/jobs';
import { DEFAULT_SPLIT_SIZE } from '@mr/master';
import { MrError, parseSize, wire } from '@mr/shared';
import { planFromSample, resolveJob, userOutputToStderr } from '../job-ref.js';
import { absoluteLocation, listInputs, readInput, readRange, type BlockStoreSession } from '../locations.js';
import { sampleLines } from '../sample.js';
import { collectList, collectParam, durationFlag, intFlag, sizeFlag } from '../options.js';
import { jobProgress, noJobProgress, type JobProgress, type ProgressStream } from '../render/progress.js';
import { TABLE_LINES } from '../render/table.js';

export interface JobOptions {
  input: string[];
  output: string;
  reducers: number;
  /** Undefined when no --param is given (a default {} showed as `(default: {})` in --help). */
  param?: Record<string, string>;
  json?: boolean;
  splitSize?: number;
  sortBufferMb?: number;
  maxAttempts?: number;
  maxKilledAttempts?: number;
  taskTimeout?: number;
  taskMemory?: number;
  speculation?: boolean;
  skipBadRecords?: boolean;
  overwrite?: boolean;
  format: 'summary' | 'table';
}

const MIB = 1024 * 1024;
/** A thread's heap below this cannot even load a job module. */
const MIN_TASK_MEMORY = 32 * MIB;

function taskMemoryFlag(text: string): number {
  const bytes = parseSize(text, '--task-memory');
  if (bytes < MIN_TASK_MEMORY) throw new MrError('MR_ERR_USAGE', `--task-memory: '${text}' is too small (at least ${MIN_TASK_MEMORY / MIB}m)`);
  return bytes;
}

/** The flags `run` and `submit` share (contract.md "Commands" and "Job tuning flags"). */
export function addJobOptions(cmd: Command): Command {
  return cmd
    .argument('<JOB>', `built-in job name (${Object.keys(builtinJobs).join(', ')}) or path to a .js/.ts job module`)
    .requiredOption('--input <URI[,URI..]>', 'input files or directories (repeatable)', collectList)
    .requiredOption('--output <URI>', 'output directory: part-NNNNN files and _SUCCESS')
    .option('--reducers <N>', 'number of reduce tasks (= part files)', intFlag('--reducers', 1, 10_000), 1)
    .option('--param <k=v>', 'job parameter (repeatable; default: the job\'s own defaults)', collectParam)
    .option('--json', 'print the final status JSON on stdout')
    .option('--overwrite', 'replace an output that already holds a result')
    .addOption(new Option('--split-size <SIZE>', 'bytes per map split of local and s3:// files, k/m/g (bs:// files split by block)').argParser(sizeFlag('--split-size')).default(DEFAULT_SPLIT_SIZE, '64m'))
    .addOption(new Option('--sort-buffer-mb <MB>', 'map-side sort buffer before spilling to disk').argParser(intFlag('--sort-buffer-mb', 1, 65_536)).default(64))
    .addOption(new Option('--max-attempts <N>', 'failed attempts per task before the job fails').argParser(intFlag('--max-attempts', 1, 100)).default(4))
    .addOption(new Option('--max-killed-attempts <N>', 'attempts lost with their worker per task before the job fails').argParser(intFlag('--max-killed-attempts', 1, 1000)).default(10))
    .addOption(new Option('--task-timeout <DURATION>', 'an attempt with no progress for this long fails').argParser(durationFlag('--task-timeout')).default(30_000, '30s'))
    .addOption(new Option('--task-memory <SIZE>', `an attempt whose JavaScript heap outgrows this fails (at least ${MIN_TASK_MEMORY / MIB}m; default: a quarter of the worker machine's memory over its slots)`).argParser(taskMemoryFlag))
    .option('--no-speculation', 'no backup copies of slow attempts')
    .option('--skip-bad-records', 'skip a record on which user code threw in two attempts (counted in skippedRecords)')
    .addOption(new Option('--format <FORMAT>', `after the job: 'summary', or 'table' (the result as a table: a top K whole, else its first ${TABLE_LINES} lines)`).choices(['summary', 'table']).default('summary'));
}

/**
 * The submission of a job: resolved (a module path, and local inputs and output, against this
 * process's directory), its params checked, and (a job with `sample`) planned from a
 * sample of its input, read through `bs` for bs:// inputs (`mr run` passes none: it refuses bs://).
 */
export async function submitRequest(job: string, o: JobOptions, bs?: BlockStoreSession): Promise<wire.SubmitRequest & { columns: string[] }> {
  if (o.format === 'table' && o.json) throw new MrError('MR_ERR_USAGE', '--format table and --json: choose one');
  // job code runs here too (module top level, params, plan): what it prints is not this command's output
  const resolved = await userOutputToStderr(() => resolveJob(job, o.param ?? {}));
  if (o.input.length === 0) throw new MrError('MR_ERR_USAGE', '--input names no location');
  // local paths mean what they mean here, not in the master's directory (it may be another machine's)
  const inputs = o.input.map((uri) => absoluteLocation(uri));
  const output = absoluteLocation(o.output);
  const r = await userOutputToStderr(() => planFromSample(resolved, o.reducers, async (lines) => {
    const files = await listInputs(inputs, bs);
    // without a session, listInputs has refused bs:// inputs
    const store = bs ?? { client: () => { throw new MrError('MR_ERR_INTERNAL', 'no block-store session'); }, close() {} };
    return sampleLines(files, lines, { range: (uri, start, end) => readRange(store, uri, start, end), gunzipped: (uri) => readInput(store, uri) });
  }));
  return {
    columns: r.columns,
    name: r.name,
    job: { builtin: r.builtin ?? '', moduleHash: r.moduleHash ?? '' },
    moduleSource: r.moduleSource ?? Buffer.alloc(0),
    inputs,
    output,
    numReducers: o.reducers,
    paramsJson: JSON.stringify(r.params),
    overwrite: o.overwrite === true,
    splitSize: o.splitSize ?? 0,
    sortBufferBytes: (o.sortBufferMb ?? 64) * 1024 * 1024,
    maxAttempts: o.maxAttempts ?? 4,
    maxKilledAttempts: o.maxKilledAttempts ?? 10,
    taskTimeoutMs: o.taskTimeout ?? 30_000,
    taskMemoryBytes: o.taskMemory ?? 0,
    noSpeculation: o.speculation === false,
    skipBadRecords: o.skipBadRecords === true,
    gather: r.policy.gather,
    ...(r.policy.maxBadFraction !== undefined ? { maxBadFraction: r.policy.maxBadFraction } : {}),
  };
}

/**
 * The progress `run` and `submit --wait` show on stderr while they poll the job (render/progress.ts):
 * bars on a TTY, a line per completed phase otherwise, nothing with --json (stderr then holds only
 * errors, and stdout the one status document).
 */
export function jobProgressFor(o: { json?: boolean }, stream: ProgressStream = process.stderr): JobProgress {
  return o.json ? noJobProgress : jobProgress(stream);
}
