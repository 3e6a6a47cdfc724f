import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// style.md: the machine's purity is enforced by lint, not by review. This checks the rule bites.
describe('lint: master/src/machine stays pure', () => {
  const eslint = new ESLint();
  const lint = async (code: string, file = 'packages/master/src/machine/probe.ts') =>
    (await eslint.lintText(code, { filePath: file }))[0]!.messages.map((m) => m.ruleId);

  it.each([
    ['a clock read', 'export const t = Date.now();', 'no-restricted-globals'],
    ['a timer', 'setTimeout(() => {}, 1);', 'no-restricted-globals'],
    ['the environment', 'export const e = process.env.X;', 'no-restricted-globals'],
    ['unseeded randomness', 'export const r = Math.random();', 'no-restricted-properties'],
    ['file I/O', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;", 'no-restricted-imports'],
    ['gRPC', "import * as grpc from '@grpc/grpc-js';\nexport const g = grpc;", 'no-restricted-imports'],
  ])('refuses %s', async (_what, code, rule) => {
    expect(await lint(code)).toContain(rule);
  });

  it('allows the same code outside machine/', async () => {
    expect(await lint('export const t = Date.now();', 'packages/master/src/driver/probe.ts')).toEqual([]);
  });
});
