/**
 * Installing the command as the README says: `npx mr` inside the clone, and `npm link -w packages/cli`
 * for an `mr` on the PATH that works from any directory. The link goes into a temporary npm prefix
 * (npm_config_prefix), so the machine's global install is untouched.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GUTENBERG, ROOT, tempDir } from './helpers/procs.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const version = (JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;

describe('installing the mr command', () => {
  it('npx mr runs the linked workspace command inside the clone', async () => {
    const { stdout } = await run('npx', ['--no-install', 'mr', '--version'], { cwd: ROOT, timeout: 60_000 });
    expect(stdout.trim()).toBe(version);
  });

  it('npm link -w packages/cli puts an mr on the PATH that runs jobs from any directory', async () => {
    const prefix = tempDir('mr-prefix-');
    await run(NPM, ['link', '-w', 'packages/cli', '--no-audit', '--no-fund'], {
      cwd: ROOT, timeout: 60_000, env: { ...process.env, npm_config_prefix: prefix },
    });
    const bin = join(prefix, 'bin', 'mr');
    expect(existsSync(bin)).toBe(true);

    // a user's own folder, far from the clone, with relative paths
    const work = tempDir('mr-user-');
    copyFileSync(join(GUTENBERG, 'pg-metamorphosis.txt'), join(work, 'book.txt'));
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    const { stdout: v } = await run('mr', ['--version'], { cwd: work, env, timeout: 30_000 });
    expect(v.trim()).toBe(version);
    const { stdout } = await run('mr', ['run', 'wordcount', '--input', 'book.txt', '--output', 'out', '--json'], { cwd: work, env, timeout: 120_000 });
    expect((JSON.parse(stdout) as { state: string }).state).toBe('SUCCEEDED');
    expect(existsSync(join(work, 'out', '_SUCCESS'))).toBe(true);
    expect(readFileSync(join(work, 'out', 'part-00000'), 'utf8')).toMatch(/^Gregor\t\d+$/m);
  });
});
