/**
 * The repository stands on its own: a user who clones it has nothing beside it. The team's material
 * in `../shared` (beside the project) is never read by code, tests, scripts, docs, Dockerfile or
 * compose. CI runs this suite where `../shared` exists, so this check (and .ci/run's fresh-clone demo)
 * is what catches a dependency on it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './e2e/helpers/procs.js';

/** `../shared` or `/work/shared` followed by one of the folders the team's material has. */
const SHARED_REF = /(?:\.\.\/)+shared\/(?:data|docs|tools|hooks)\b|\/work\/shared\b/;
/** `../shared` alone, as a path. */
const BARE_REF = /(?:^|[\s'"`(=])(?:\.\.\/)+shared(?:$|[\s'"`)/])/;

/**
 * The one allowed use: the CI-only stand-ins for the images docker compose pulls, run by the compose
 * tests' set-up on a machine with no container registry.
 */
const ALLOWED = /\.\.\/shared\/tools\/compose-standins\b/;

/** Files in which `../shared` names a workspace package (packages/X/../shared is packages/shared). */
const PACKAGE_REFERENCE = /^packages\/[^/]+\/(tsconfig\.json|src\/.*\.ts)$/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
}

describe('the repository stands on its own', () => {
  it('no tracked file refers to ../shared (the compose stand-ins aside)', () => {
    const offenders: string[] = [];
    // this file names such references on purpose, in the probes below
    for (const file of trackedFiles().filter((f) => f !== 'test/repo.test.ts')) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // deleted in the work tree
      }
      for (const line of text.split('\n')) {
        if (ALLOWED.test(line)) continue;
        // a bare '../shared' (no sub-folder) is a package reference only inside packages/
        if (SHARED_REF.test(line) || (!PACKAGE_REFERENCE.test(file) && BARE_REF.test(line))) offenders.push(`${file}: ${line.trim()}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check bites: a reference of each kind is found', () => {
    const found = (line: string) => !ALLOWED.test(line) && (SHARED_REF.test(line) || BARE_REF.test(line));
    expect(found("const books = resolve(ROOT, '../shared/data/gutenberg');")).toBe(true);
    expect(found('see ../shared/docs/contract.md')).toBe(true);
    expect(found('/work/shared/docs/flowlogs.md')).toBe(true);
    expect(found("const dir = join(ROOT, '../shared');")).toBe(true);
    expect(found('bash ../shared/tools/compose-standins/build.sh .')).toBe(false);
    expect(found("import { x } from '@mr/shared';")).toBe(false);
  });

  it('ships the sample data the demo, tests and benchmarks read', () => {
    const files = trackedFiles();
    expect(files.filter((f) => f.startsWith('data/gutenberg/') && f.endsWith('.txt'))).toHaveLength(8);
    expect(files).toContain('data/README.md');
    const examples = readFileSync(join(ROOT, 'data/flowlogs/aws-doc-examples.log'), 'utf8').trim().split('\n');
    expect(examples.map((l) => l.split(' ').at(-1))).toEqual(['OK', 'OK', 'NODATA', 'SKIPDATA']);
    for (const doc of ['contract.md', 'flowlogs.md', 'errors.md']) expect(files).toContain(`docs/${doc}`);
  });
});
