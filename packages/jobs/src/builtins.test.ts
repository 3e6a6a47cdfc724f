import { describe, expect, it } from 'vitest';
import { builtinJobs, checkParams } from './index.js';

/** The least each built-in needs to accept its params. */
const VALID: Record<string, Record<string, string>> = { grep: { pattern: 'x' }, flowlogs: { preset: 'top-talkers' } };

describe('built-in jobs and their params', () => {
  it.each(Object.keys(builtinJobs))('%s refuses a param it does not know, naming it', (name) => {
    const job = builtinJobs[name]!;
    expect(() => checkParams(job, { ...VALID[name], bogus: '1' })).toThrow(/unknown param 'bogus'/);
    expect(() => checkParams(job, { ...VALID[name] })).not.toThrow();
  });
});
