import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { builtinJob, checkParams, jobPolicy, type JobPolicy } from '@mr/jobs';
import { bsPath, listNames, MrError, parseS3, type wire } from '@mr/shared';
import { checkOutputOutsideDataDir } from './data-dir.js';
import { checkOutput } from './driver/output.js';
import { checkOutputApartFromInputs } from './output-overlap.js';
import type { JobSpec, Split } from './machine/types.js';
import { fsChildren, fsLookup, fsPath } from './machine/fs.js';
import type { FsFile, FsState } from './machine/types.js';
import { cutSplits, isHiddenName, listInputFiles, type SkippedEntry } from './splits/local.js';

export const MAX_REDUCERS = 10_000;
/**
 * Map tasks one job may plan. Past this the master's state and every status document grow with
 * tasks that each read a few bytes (`--split-size 1` on a 139 KB file planned 139,000 maps and
 * showed nothing for minutes): such a plan is refused at submit, naming the flag to change.
 */
export const MAX_MAP_TASKS = 100_000;
export const DEFAULT_SPLIT_SIZE = 64 * 1024 * 1024;
export const DEFAULT_SORT_BUFFER_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_MAX_KILLED_ATTEMPTS = 10;
export const DEFAULT_TASK_TIMEOUT_MS = 30_000;

/**
 * Checks a submission the way a user needs it checked before anything runs (design.md, step 1):
 * job known, params valid, inputs exist, output free unless --overwrite; then lists the inputs and
 * cuts splits. All I/O, so outside the machine. Throws MrError with a one-line message.
 */
export async function prepareJob(
  req: wire.SubmitRequest, modulesDir: string, fs: FsState, dataDir: string,
): Promise<{ spec: JobSpec; splits: Split[]; skipped: SkippedEntry[] }> {
  // before anything is stored: a local output never leads into the master's own data dir
  await checkOutputOutsideDataDir(req.output, dataDir);
  let params = JSON.parse(req.paramsJson || '{}') as Record<string, string>;
  const job: JobSpec['job'] = {};
  // a module job was loaded by the submitter, which decided its policy; a built-in is decided here
  let policy: JobPolicy = { gather: req.gather, ...(req.maxBadFraction !== undefined ? { maxBadFraction: req.maxBadFraction } : {}) };
  if (policy.maxBadFraction !== undefined && !(policy.maxBadFraction >= 0 && policy.maxBadFraction <= 1)) {
    throw new MrError('MR_ERR_USAGE', `maxBadFraction must be between 0 and 1, got ${policy.maxBadFraction}`);
  }
  if (req.job?.moduleHash) {
    job.moduleHash = await storeModule(req, modulesDir);
  } else {
    const name = req.job?.builtin ?? '';
    const def = builtinJob(name);
    params = checkParams(def, params);
    policy = jobPolicy(def, params);
    job.builtin = name;
  }
  if (!Number.isInteger(req.numReducers) || req.numReducers < 1 || req.numReducers > MAX_REDUCERS) {
    throw new MrError('MR_ERR_USAGE', `--reducers must be between 1 and ${MAX_REDUCERS}, got ${req.numReducers}`);
  }
  const { splits, skipped, inputs, output } = await checkLocations(req.inputs, req.output, req.overwrite, req.splitSize > 0 ? req.splitSize : DEFAULT_SPLIT_SIZE, fs);
  return {
    spec: {
      name: req.name || job.builtin || 'job',
      job,
      params,
      inputs,
      output,
      numReducers: req.numReducers,
      sortBufferBytes: req.sortBufferBytes > 0 ? req.sortBufferBytes : DEFAULT_SORT_BUFFER_BYTES,
      maxAttempts: req.maxAttempts > 0 ? req.maxAttempts : DEFAULT_MAX_ATTEMPTS,
      maxKilledAttempts: req.maxKilledAttempts > 0 ? req.maxKilledAttempts : DEFAULT_MAX_KILLED_ATTEMPTS,
      taskTimeoutMs: req.taskTimeoutMs > 0 ? req.taskTimeoutMs : DEFAULT_TASK_TIMEOUT_MS,
      speculation: !req.noSpeculation,
      skipBadRecords: req.skipBadRecords,
      ...(policy.gather ? { gather: true } : {}),
      ...(policy.maxBadFraction !== undefined ? { maxBadFraction: policy.maxBadFraction } : {}),
      ...(skipped.length > 0 ? { skippedInputEntries: skipped.length } : {}),
      ...(req.overwrite ? { overwrite: true } : {}),
      ...(req.taskMemoryBytes > 0 ? { taskMemoryBytes: req.taskMemoryBytes } : {}),
    },
    splits,
    skipped,
  };
}

/**
 * Inputs exist and hold files; the output holds no result unless overwriting. Local paths are
 * checked on disk; bs:// ones in the namespace (`fs`, the master's state; the CLI passes none and
 * leaves them to the master). Local files are cut at `splitSize`, bs:// files at their blocks.
 * bs:// locations come back normalised, and one that climbs above the root is refused first, with
 * or without `fs`.
 */
export async function checkLocations(inputs: string[], output: string, overwrite: boolean, splitSize = DEFAULT_SPLIT_SIZE, fs?: FsState) {
  if (inputs.length === 0) throw new MrError('MR_ERR_USAGE', 'no --input given');
  if (!output) throw new MrError('MR_ERR_USAGE', 'no --output given');
  if (output.startsWith('bs://')) fsPathOrUsage(output);
  const normalised = inputs.map((i) => (i.startsWith('bs://') ? bsUri(fsPathOrUsage(i)) : i));
  await checkOutputApartFromInputs(normalised, output);
  const bsInputs = normalised.filter((i) => i.startsWith('bs://'));
  const skipped: SkippedEntry[] = [];
  const files = await listInputFiles(normalised.filter((i) => !i.startsWith('bs://')), skipped);
  const splits = [...cutSplits(files, splitSize), ...(fs ? bsSplits(fs, bsInputs) : [])];
  if (splits.length > MAX_MAP_TASKS) {
    const bytes = splits.reduce((n, x) => n + x.length, 0);
    throw new MrError('MR_ERR_USAGE', `the inputs would be cut into ${splits.length} map tasks, more than ${MAX_MAP_TASKS}: use a larger --split-size (${bytes} bytes in all; --split-size ${Math.ceil(bytes / MAX_MAP_TASKS)} or more)`);
  }
  if (splits.length === 0 && (bsInputs.length === 0 || fs)) throw new MrError('MR_ERR_INPUT_EMPTY', `no input files under ${inputs.join(', ')} (names starting with _ or . are skipped)`);
  if (output.startsWith('s3://')) {
    await checkS3Output(output, overwrite);
    const { bucket, key } = parseS3(output);
    return { splits, skipped, inputs: normalised, output: `s3://${bucket}/${key}` };
  }
  if (output.startsWith('bs://')) {
    if (fs) checkBsOutput(fs, output, overwrite);
    return { splits, skipped, inputs: normalised, output: bsUri(fsPathOrUsage(output)) };
  }
  return { splits, skipped, inputs: normalised, output: await checkOutput(output, overwrite) };
}

/** The namespace path of a bs:// location: normalised, a `..` above the root refused (bsPath), then the namespace's own checks. */
function fsPathOrUsage(uri: string): string {
  const path = bsPath(uri);
  try {
    return fsPath(path);
  } catch (e) {
    throw new MrError('MR_ERR_FS_BAD_PATH', (e as { message: string }).message);
  }
}

const bsUri = (path: string) => `bs://${path.slice(1)}`;

/** One split per block of every bs:// input file, with the block's replicas as preferred hosts. */
function bsSplits(fs: FsState, uris: string[]): Split[] {
  const splits: Split[] = [];
  for (const uri of uris) {
    const path = fsPathOrUsage(uri);
    const e = fsLookup(fs, path);
    if (!e) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `input not found: ${uri}`);
    const files = e.kind === 'file' ? [e] : fsChildren(fs, path, true).filter((x): x is FsFile => x.kind === 'file' && !x.path.slice(path.length).split('/').some((seg) => isHiddenName(seg)));
    for (const f of files) {
      if (f.blocks.length === 0) splits.push({ uri: bsUri(f.path), start: 0, length: 0, hosts: [] });
      for (const id of f.blocks) {
        const b = fs.blocks.get(id)!;
        splits.push({ uri: bsUri(f.path), start: b.offset, length: b.size, hosts: [...b.replicas] });
      }
    }
  }
  return splits;
}

async function checkS3Output(output: string, overwrite: boolean): Promise<void> {
  const { bucket, key } = parseS3(output);
  const names = (await listNames(bucket, key)).map((o) => o.key.slice(key === '' ? 0 : key.length + 1)).filter((n) => !n.includes('/'));
  const taken = names.filter((n) => n === '_SUCCESS' || n.startsWith('part-'));
  if (taken.length > 0 && !overwrite) {
    throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${output} already holds ${taken.includes('_SUCCESS') ? '_SUCCESS' : taken[0]} (use --overwrite to replace it)`);
  }
}

function checkBsOutput(fs: FsState, output: string, overwrite: boolean): void {
  const path = fsPathOrUsage(output);
  const e = fsLookup(fs, path);
  if (!e) return;
  if (e.kind === 'file') throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${output} exists and is a file`);
  const taken = fsChildren(fs, path, false).map((x) => x.path.slice(path.length + 1)).filter((n) => n === '_SUCCESS' || n.startsWith('part-'));
  if (taken.length > 0 && !overwrite) {
    throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${output} already holds ${taken.includes('_SUCCESS') ? '_SUCCESS' : taken[0]} (use --overwrite to replace it)`);
  }
}

/** Keeps a submitted module under the master's data dir, named by its content hash. */
async function storeModule(req: wire.SubmitRequest, modulesDir: string): Promise<string> {
  const hash = createHash('sha256').update(req.moduleSource).digest('hex');
  if (hash !== req.job!.moduleHash) throw new MrError('MR_ERR_JOB_MODULE', 'job module content does not match its hash');
  await mkdir(modulesDir, { recursive: true });
  const file = join(modulesDir, `${hash}.mjs`);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, req.moduleSource);
  await rename(tmp, file);
  return hash;
}
