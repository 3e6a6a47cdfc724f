import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinJob, checkParams, importJobModule, isBuiltinJob, jobPolicy, type JobPolicy } from '@mr/jobs';
import { isThenable, MrError, type JobDefinition } from '@mr/shared';

export interface ResolvedJob {
  name: string;
  definition: JobDefinition;
  builtin?: string;
  /** Bundled ESM source of a user module and its sha256 (workers fetch it by hash). */
  moduleSource?: Buffer;
  moduleHash?: string;
  params: Record<string, string>;
  policy: JobPolicy;
  /** Names of the output's TAB-separated fields (`--format table`); key and value unless the job names them. */
  columns: string[];
}

const MODULE_EXT = /\.(m|c)?(js|ts)$/;

/**
 * JOB is a built-in name or a path to a module (contract.md). A module is bundled with esbuild
 * (so .ts works and its imports travel with it), loaded once here to check that it exports a job
 * and that its params are accepted, and shipped to the cluster by content hash.
 */
export async function resolveJob(job: string, rawParams: Record<string, string>): Promise<ResolvedJob> {
  if (isBuiltinJob(job)) {
    const def = builtinJob(job);
    const params = checkParams(def, rawParams);
    return { name: job, definition: def, builtin: job, params, policy: jobPolicy(def, params), columns: columnsOf(def, params) };
  }
  const looksLikePath = job.includes('/') || job.includes('\\') || MODULE_EXT.test(job);
  if (!looksLikePath) builtinJob(job); // throws MR_ERR_UNKNOWN_JOB naming the built-ins
  const path = await checkModulePath(job);
  const source = await bundle(path);
  const def = await loadBundle(source, path);
  const params = checkParams(def, rawParams);
  return {
    name: def.name,
    definition: def,
    moduleSource: source,
    moduleHash: createHash('sha256').update(source).digest('hex'),
    params,
    policy: jobPolicy(def, params),
    columns: columnsOf(def, params),
  };
}

/**
 * The absolute path of a job module, which must be an existing file with a module extension:
 * anything else is refused with one line naming the path, before esbuild sees it.
 */
export async function checkModulePath(job: string): Promise<string> {
  const path = resolve(job);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new MrError('MR_ERR_JOB_MODULE', `job module not found: ${path}`);
  if (!st.isFile()) throw new MrError('MR_ERR_JOB_MODULE', `job module ${path} is not a file`);
  if (!MODULE_EXT.test(path)) {
    const ext = extname(path);
    throw new MrError('MR_ERR_JOB_MODULE', `job module ${path}: ${ext ? `unsupported extension '${ext}'` : 'no extension'} (use .js, .mjs, .cjs, .ts, .mts or .cts)`);
  }
  return path;
}

/**
 * A job with `sample` (JobDefinition.sample): reads its sample (`read(lines)`), has its `plan`
 * turn it into params, and merges them over the checked params; the result goes through the
 * job's `params` check again, and the policy and columns follow the final params.
 */
export async function planFromSample(r: ResolvedJob, numReducers: number, read: (lines: number) => Promise<string[]>): Promise<ResolvedJob> {
  const s = r.definition.sample;
  if (!s) return r;
  const sample = await read(s.lines);
  let planned: unknown;
  try {
    // an async plan (one that reads a side input, say) is awaited: submit can wait
    planned = await s.plan(sample, numReducers, r.params);
  } catch (e) {
    if (MrError.is(e)) throw e;
    throw new MrError('MR_ERR_USER_CODE', `${r.name}: sample.plan threw: ${(e as Error).message}`);
  }
  if (typeof planned !== 'object' || planned === null || Object.values(planned).some((v) => typeof v !== 'string')) {
    throw new MrError('MR_ERR_USER_CODE', `${r.name}: sample.plan must return params, an object of strings`);
  }
  const params = checkParams(r.definition, { ...r.params, ...(planned as Record<string, string>) });
  return { ...r, params, policy: jobPolicy(r.definition, params), columns: columnsOf(r.definition, params) };
}

/**
 * Runs `fn`, which runs job code in this process (a module's top level, `params`, `sample.plan`),
 * with what that code prints to stdout sent to stderr: the command's stdout holds only its own
 * output (`--json`: one document).
 */
export async function userOutputToStderr<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

function columnsOf(def: JobDefinition, params: Record<string, string>): string[] {
  const columns = def.columns?.(params);
  if (isThenable(columns)) throw new MrError('MR_ERR_JOB_MODULE', `${def.name}: columns returned a promise; it must return the column names`);
  return columns ?? ['key', 'value'];
}

async function bundle(path: string): Promise<Buffer> {
  // `defineJob` (and MrError) come from this installation's light job entry, not the engine runtime
  const sharedEntry = fileURLToPath(import.meta.resolve('@mr/shared/job'));
  // loaded on use: most commands never bundle anything
  const { build } = await import('esbuild');
  try {
    const out = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      // the worker maps a failed attempt's stack frames back to the user's own files and lines
      // (`mr logs`); sources are relative to the working directory, hence the root
      sourcemap: 'inline',
      sourcesContent: false,
      sourceRoot: pathToFileURL(process.cwd()).href.replace(/\/?$/, '/'),
      plugins: [
        {
          name: 'mr-job-api',
          setup(b) {
            b.onResolve({ filter: /^(@mr\/shared(\/job)?|mr)$/ }, () => ({ path: sharedEntry }));
          },
        },
      ],
      // packages with native parts cannot be bundled; they must be installed on the workers
      banner: { js: "import { createRequire as __mrCreateRequire } from 'node:module'; const require = __mrCreateRequire(import.meta.url);" },
    });
    return Buffer.from(out.outputFiles[0]!.contents);
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new MrError('MR_ERR_JOB_MODULE', `cannot bundle job module ${path}: ${first?.text ?? (e as Error).message}${where}`);
  }
}

async function loadBundle(source: Buffer, path: string): Promise<JobDefinition> {
  const dir = await mkdtemp(join(tmpdir(), 'mr-job-'));
  const file = join(dir, 'job.mjs');
  try {
    await writeFile(file, source);
    return await importJobModule(file, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
