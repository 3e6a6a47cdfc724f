import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MrError } from '@mr/shared';
import { checkOutputOutsideDataDir, isInside, realPathOf } from './data-dir.js';

const root = mkdtempSync(join(tmpdir(), 'mr-datadir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function refusal(output: string, dataDir: string): Promise<MrError | undefined> {
  try {
    await checkOutputOutsideDataDir(output, dataDir);
    return undefined;
  } catch (e) {
    if (MrError.is(e)) return e;
    throw e;
  }
}

describe("outputs inside the master's data dir are refused (issue 8, security: paths)", () => {
  const data = join(root, 'master');
  mkdirSync(join(data, 'journal'), { recursive: true });
  const elsewhere = join(root, 'results');
  mkdirSync(elsewhere);
  // a symlink outside the data dir that leads into it, and one inside it that leads out
  symlinkSync(data, join(root, 'innocent'));
  symlinkSync(elsewhere, join(data, 'out-link'));

  it('isInside: the dir itself and anything under it, not a sibling with the same prefix', () => {
    expect(isInside('/d/m', '/d/m')).toBe(true);
    expect(isInside('/d/m/x/y', '/d/m')).toBe(true);
    expect(isInside('/d/master2', '/d/m')).toBe(false);
    expect(isInside('/d/m..x', '/d/m')).toBe(false);
    expect(isInside('/d', '/d/m')).toBe(false);
    expect(isInside('/elsewhere', '/d/m')).toBe(false);
  });

  it('realPathOf follows symlinks through the nearest existing ancestor', async () => {
    expect(await realPathOf(join(root, 'innocent', 'not', 'yet'))).toBe(join(await realPathOf(data), 'not', 'yet'));
    expect(await realPathOf(join(root, 'nothing', 'here'))).toBe(join(await realPathOf(root), 'nothing', 'here'));
  });

  it.each([
    ['the data dir itself', () => data],
    ['a new dir under it', () => join(data, 'wc')],
    ['an existing dir under it', () => join(data, 'journal')],
    ['a path that climbs back into it with ..', () => join(elsewhere, '..', 'master', 'wc')],
    ['a file:// URI', () => `file://${join(data, 'wc')}`],
    ['a symlink outside that leads into it', () => join(root, 'innocent', 'wc')],
  ])('%s: MR_ERR_OUTPUT_FORBIDDEN (exit 1), one line naming the output', async (_what, output) => {
    const e = await refusal(output(), data);
    expect(e?.code).toBe('MR_ERR_OUTPUT_FORBIDDEN');
    expect(e?.exitCode).toBe(1);
    expect(e?.message).toMatch(/^output \/\S+ is inside the master's data dir \S+/);
    expect(e?.message).not.toMatch(/\n/);
  });

  it('says where a symlinked output leads', async () => {
    const e = await refusal(join(root, 'innocent', 'wc'), data);
    expect(e?.message).toBe(`output ${join(root, 'innocent', 'wc')} is inside the master's data dir ${data} (it leads to ${join(await realPathOf(data), 'wc')}): choose another output`);
  });

  it('a data dir given through a symlink or with a trailing slash is the same dir', async () => {
    expect((await refusal(join(data, 'wc'), join(root, 'innocent')))?.code).toBe('MR_ERR_OUTPUT_FORBIDDEN');
    expect((await refusal(join(data, 'wc'), `${data}/`))?.code).toBe('MR_ERR_OUTPUT_FORBIDDEN');
  });

  it('outputs elsewhere pass: siblings, parents, a link inside the data dir that leads out, other schemes', async () => {
    writeFileSync(join(elsewhere, 'keep'), 'x');
    for (const output of [elsewhere, join(root, 'master2', 'wc'), root, join(data, 'out-link', 'wc'), 's3://bucket/master', 'bs://master/wc', '']) {
      expect(await refusal(output, data), output).toBeUndefined();
    }
    // nothing was created by checking
    expect(readdirSync(elsewhere)).toEqual(['keep']);
  });
});
