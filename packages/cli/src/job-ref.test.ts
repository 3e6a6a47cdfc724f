import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkModulePath } from './job-ref.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-jobref-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('job module paths (issue 8, security: paths)', () => {
  for (const ext of ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']) writeFileSync(join(dir, `job${ext}`), 'export default {};\n');
  writeFileSync(join(dir, 'job.py'), 'print(1)\n');
  writeFileSync(join(dir, 'job'), 'x\n');
  mkdirSync(join(dir, 'mod.js'));

  it('an existing file with a module extension resolves to its absolute path', async () => {
    for (const ext of ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']) expect(await checkModulePath(join(dir, `job${ext}`))).toBe(join(dir, `job${ext}`));
  });

  it.each([
    ['missing', 'nope/job.mjs', /^job module not found: \/.*nope\/job\.mjs$/],
    ['a directory', 'mod.js', /^job module \/.*mod\.js is not a file$/],
    ['an unsupported extension', 'job.py', /^job module \/.*job\.py: unsupported extension '\.py' \(use \.js, \.mjs, \.cjs, \.ts, \.mts or \.cts\)$/],
    ['no extension', 'job', /^job module \/.*\/job: no extension \(use/],
  ])('%s: MR_ERR_JOB_MODULE (exit 1), one line naming the path', async (_what, name, message) => {
    const e = await checkModulePath(join(dir, name)).then(() => undefined, (err: unknown) => err as { code: string; message: string; exitCode: number });
    expect(e?.code).toBe('MR_ERR_JOB_MODULE');
    expect(e?.exitCode).toBe(1);
    expect(e?.message).toMatch(message);
  });
});
