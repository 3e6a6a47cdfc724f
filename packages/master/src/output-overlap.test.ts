import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputApartFromInputs } from './output-overlap.js';

const root = mkdtempSync(join(tmpdir(), 'mr-overlap-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'in/g3'), { recursive: true });
writeFileSync(join(root, 'in/g3/a.txt'), 'a b\n');
mkdirSync(join(root, 'elsewhere'));
symlinkSync(join(root, 'in'), join(root, 'link-to-in'));

const refused = async (inputs: string[], output: string) => {
  try {
    await checkOutputApartFromInputs(inputs, output);
    return undefined;
  } catch (e) {
    return [(e as { code: string }).code, (e as Error).message] as const;
  }
};

describe('an output apart from the inputs', () => {
  it.each([
    ['the input itself', ['in/g3'], 'in/g3', 'is the'],
    ['the input with a trailing slash', ['in/g3/'], 'in/g3', 'is the'],
    ['inside an input directory', ['in/g3'], 'in/g3/out', 'is inside the'],
    ['a parent of an input', ['in/g3/a.txt'], 'in', 'contains the'],
    ['inside an input reached through a symlink', ['in'], 'link-to-in/g3/new', 'is inside the'],
  ])('refuses %s', async (_what, inputs, output, how) => {
    const r = await refused(inputs.map((i) => join(root, i)), join(root, output));
    expect(r?.[0]).toBe('MR_ERR_OUTPUT_OVERLAPS_INPUT');
    expect(r?.[1]).toContain(how);
    expect(r?.[1]).toContain(join(root, output));
  });

  it.each([
    ['s3 prefix inside an input prefix', ['s3://b/logs'], 's3://b/logs/out'],
    ['s3 whole bucket as input', ['s3://b'], 's3://b/out'],
    ['bs output equal to input', ['bs://data/x'], 'bs://data/x/'],
    ['bs output containing an input', ['bs://data/x/y'], 'bs://data'],
  ])('refuses %s', async (_what, inputs, output) => {
    expect((await refused(inputs, output))?.[0]).toBe('MR_ERR_OUTPUT_OVERLAPS_INPUT');
  });

  it.each([
    ['a sibling directory', ['in/g3'], 'elsewhere/out'],
    ['a name that only starts like the input', ['in/g3'], 'in/g33'],
  ])('accepts %s', async (_what, inputs, output) => {
    expect(await refused(inputs.map((i) => join(root, i)), join(root, output))).toBeUndefined();
  });

  it.each([
    ['another bucket', ['s3://b/logs'], 's3://c/logs'],
    ['a prefix that only starts like the input', ['s3://b/logs'], 's3://b/logs2'],
    ['another store', ['bs://logs'], 's3://logs/x'],
  ])('accepts %s', async (_what, inputs, output) => {
    expect(await refused(inputs, output)).toBeUndefined();
  });
});
