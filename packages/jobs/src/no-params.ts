import { MrError } from '@mr/shared/core';

/**
 * The `params` check of a built-in job that takes none: a `--param` given to it is a mistake (a
 * typo of another job's param, or the wrong job), refused at submit like every built-in's unknown
 * params rather than silently ignored.
 */
export function takesNoParams(job: string): (raw: Record<string, string>) => Record<string, string> {
  return (raw) => {
    const given = Object.keys(raw);
    if (given.length > 0) throw new MrError('MR_ERR_USAGE', `${job}: unknown param '${given[0]}' (${job} takes no params)`);
    return raw;
  };
}
