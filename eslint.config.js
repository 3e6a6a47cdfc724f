// Lint is for rules a reviewer would otherwise have to remember (style.md: determinism enforced
// by a machine). The master's machine/ must stay pure: no I/O, no clock, no randomness, no env.
import tseslint from 'typescript-eslint';

const impure = ['Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'process', 'performance', 'fetch', 'require'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/gen/**', 'demo-output/**', 'bench/work/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // no package reaches into another's src/ (each has an exports map)
      'no-restricted-imports': ['error', { patterns: [{ group: ['@mr/*/src/*', '@mr/*/dist/*'], message: 'import a package by its exports' }] }],
    },
  },
  {
    files: ['packages/master/src/machine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'net', 'http', 'crypto', 'child_process'], message: 'machine/ is pure: I/O belongs in driver/' },
          { group: ['@grpc/*', 'pino', '@aws-sdk/*', 'piscina', '@mr/shared', '@mr/worker', '@mr/cli'], message: 'machine/ is pure: adapters wrap it, it imports none' },
        ],
      }],
      'no-restricted-globals': ['error', ...impure.map((name) => ({ name, message: `machine/ is pure: ${name} is time, I/O or environment; pass it in as an event` }))],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'machine/ is deterministic: no unseeded randomness' }],
    },
  },
);
