/**
 * The job API (design.md "Job API", contract.md "Job modules"). `defineJob` only adds types: a
 * plain object with the same shape is a valid job too.
 */
export type Emit<K = string, V = unknown> = (key: K, value: V) => void;

export interface JobContext {
  /** The `--param k=v` values, after the job's own `params` check. */
  readonly params: Readonly<Record<string, string>>;
  /** Adds n (default 1) to a job counter shown in the status JSON. */
  counter(name: string, n?: number): void;
  /** The job this attempt belongs to. */
  readonly jobId: string;
  /** Task id (e.g. `m-00003`, `r-00001`) and attempt number: with jobId, different for every attempt. */
  readonly taskId: string;
  readonly attempt: number;
  /** Map attempts: the input file (URI) of the split being read. */
  readonly input?: string;
}

export interface JobDefinition<V = any, R = any> {
  name: string;
  /** Input records: 'lines' (default) hands `map` each line without its line break. */
  input?: 'lines';
  map(record: string, emit: Emit<string, V>, ctx: JobContext): void;
  /** Optional: folds values of one key into one, map-side; same types as `reduce` sees. */
  combine?(key: string, values: V[]): V;
  reduce(key: string, values: Iterable<V>, emit: Emit<string, R>, ctx: JobContext): void;
  /** Optional: part index in [0, numReducers); default `fnv1a32(utf8(key)) mod R`. */
  partition?(key: string, numReducers: number): number;
  /** Optional: checks and completes `--param` values at submit; throw to refuse them. */
  params?(raw: Record<string, string>): Record<string, string>;
}

export function defineJob<V = any, R = any>(job: JobDefinition<V, R>): JobDefinition<V, R> {
  return job;
}

/** Why a value is not a job definition, or undefined when it is one. */
export function jobShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'the default export is not an object';
  const j = value as Record<string, unknown>;
  if (typeof j.name !== 'string' || j.name === '') return 'the job has no name';
  if (typeof j.map !== 'function') return `job '${j.name}' has no map function`;
  if (typeof j.reduce !== 'function') return `job '${j.name}' has no reduce function`;
  for (const f of ['combine', 'partition', 'params'] as const) {
    if (j[f] !== undefined && typeof j[f] !== 'function') return `job '${j.name}': ${f} is not a function`;
  }
  return undefined;
}
