import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkParams, builtinJob } from '@mr/jobs';
import { MrError, type wire } from '@mr/shared';
import { checkOutput } from './driver/output.js';
import type { JobSpec, Split } from './machine/types.js';
import { cutSplits, listInputFiles } from './splits/local.js';

export const MAX_REDUCERS = 10_000;
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
export async function prepareJob(req: wire.SubmitRequest, modulesDir: string): Promise<{ spec: JobSpec; splits: Split[] }> {
  let params = JSON.parse(req.paramsJson || '{}') as Record<string, string>;
  const job: JobSpec['job'] = {};
  if (req.job?.moduleHash) {
    job.moduleHash = await storeModule(req, modulesDir);
  } else {
    const name = req.job?.builtin ?? '';
    params = checkParams(builtinJob(name), params);
    job.builtin = name;
  }
  if (!Number.isInteger(req.numReducers) || req.numReducers < 1 || req.numReducers > MAX_REDUCERS) {
    throw new MrError('MR_ERR_USAGE', `--reducers must be between 1 and ${MAX_REDUCERS}, got ${req.numReducers}`);
  }
  const { files, output } = await checkLocations(req.inputs, req.output, req.overwrite);
  const splits = cutSplits(files, req.splitSize > 0 ? req.splitSize : DEFAULT_SPLIT_SIZE);
  return {
    spec: {
      name: req.name || job.builtin || 'job',
      job,
      params,
      inputs: req.inputs,
      output,
      numReducers: req.numReducers,
      sortBufferBytes: req.sortBufferBytes > 0 ? req.sortBufferBytes : DEFAULT_SORT_BUFFER_BYTES,
      maxAttempts: req.maxAttempts > 0 ? req.maxAttempts : DEFAULT_MAX_ATTEMPTS,
      maxKilledAttempts: req.maxKilledAttempts > 0 ? req.maxKilledAttempts : DEFAULT_MAX_KILLED_ATTEMPTS,
      taskTimeoutMs: req.taskTimeoutMs > 0 ? req.taskTimeoutMs : DEFAULT_TASK_TIMEOUT_MS,
      speculation: !req.noSpeculation,
      skipBadRecords: req.skipBadRecords,
    },
    splits,
  };
}

/** Inputs exist and hold files; the output holds no result unless overwriting. */
export async function checkLocations(inputs: string[], output: string, overwrite: boolean) {
  if (inputs.length === 0) throw new MrError('MR_ERR_USAGE', 'no --input given');
  if (!output) throw new MrError('MR_ERR_USAGE', 'no --output given');
  const files = await listInputFiles(inputs);
  if (files.length === 0) throw new MrError('MR_ERR_INPUT_EMPTY', `no input files under ${inputs.join(', ')} (names starting with _ or . are skipped)`);
  return { files, output: await checkOutput(output, overwrite) };
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
