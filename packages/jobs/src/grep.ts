import { defineJob, MrError } from '@mr/shared/core';

const compiled = new Map<string, RegExp>();

function patternOf(params: Readonly<Record<string, string>>): RegExp {
  const source = params.pattern!;
  let re = compiled.get(source);
  if (!re) compiled.set(source, (re = new RegExp(source, 'u')));
  return re;
}

/** contract.md: `--param pattern=REGEX`; key = matching line, value = number of times it occurs. */
export default defineJob<number, number>({
  name: 'grep',
  params(raw) {
    const { pattern, ...rest } = raw;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new MrError('MR_ERR_USAGE', `grep: unknown param '${unknown[0]}' (grep takes pattern=REGEX)`);
    if (pattern === undefined || pattern === '') throw new MrError('MR_ERR_USAGE', 'grep needs --param pattern=REGEX');
    try {
      new RegExp(pattern, 'u');
    } catch (e) {
      throw new MrError('MR_ERR_USAGE', `grep: pattern is not a valid regular expression: ${(e as Error).message}`);
    }
    return { pattern };
  },
  map(line, emit, ctx) {
    if (patternOf(ctx.params).test(line)) emit(line, 1);
  },
  combine(_key, values) {
    let n = 0;
    for (const v of values) n += v;
    return n;
  },
  reduce(key, values, emit) {
    let n = 0;
    for (const v of values) n += v;
    emit(key, n);
  },
});
