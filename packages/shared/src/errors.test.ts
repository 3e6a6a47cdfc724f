import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, MrError, toMrError } from './errors.js';

// style.md (fastify): a test ties the code catalogue to its documentation.
describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.entries(ERROR_CODES))('%s is documented with its exit code and retryability', (code, spec) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${spec.exit} | ${spec.retryable ? 'yes' : 'no'} |`);
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `(MR_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('survives a thread or process boundary as { code, message }', () => {
    const e = new MrError('MR_ERR_INPUT_NOT_FOUND', 'input not found: /x');
    const back = MrError.fromWire(JSON.parse(JSON.stringify(e.toWire())));
    expect(MrError.is(back)).toBe(true);
    expect([back.code, back.message, back.exitCode]).toEqual(['MR_ERR_INPUT_NOT_FOUND', 'input not found: /x', 1]);
    expect(MrError.fromWire({ code: 'NOT_A_CODE', message: 'm' }).code).toBe('MR_ERR_INTERNAL');
    expect(toMrError(new Error('boom'), 'MR_ERR_USER_CODE').code).toBe('MR_ERR_USER_CODE');
  });
});
