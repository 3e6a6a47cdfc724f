import { describe, expect, it } from 'vitest';
import { bsPath } from './bs/client.js';
import { MrError } from './errors.js';
import { bsNamespacePath, parseUri } from './uri.js';

/** The error a call throws, as { code, message }. */
function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (MrError.is(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe('bs:// paths are normalised (issue 8, security: paths)', () => {
  it.each([
    ['bs://', '/'],
    ['bs:///', '/'],
    ['bs://a/b', '/a/b'],
    ['bs://a/b/', '/a/b'],
    ['bs:////a//b///c', '/a/b/c'],
    ['bs://./a/./b/.', '/a/b'],
    ['bs://a/../b', '/b'],
    ['bs://a/b/../../c/d/..', '/c'],
    ['bs://a/..', '/'],
    ['bs://a/...', '/a/...'],
    ['bs://a/..b/c..', '/a/..b/c..'],
  ])('%s -> %s', (uri, path) => {
    expect(bsNamespacePath(uri)).toBe(path);
    expect(bsPath(uri)).toBe(path);
    expect(parseUri(uri)).toEqual({ scheme: 'bs', path });
  });

  it.each([['bs://..'], ['bs://../etc/passwd'], ['bs://a/../../b'], ['bs://a/b/../../..'], ['bs://./../x'], ['bs:///../x/']])(
    "%s climbs above the root: MR_ERR_BAD_URI (exit 2), one line naming the URI",
    (uri) => {
      for (const f of [() => bsNamespacePath(uri), () => bsPath(uri), () => parseUri(uri)]) {
        const e = thrown(f);
        expect(e.code).toBe('MR_ERR_BAD_URI');
        expect(e.message).toBe(`${uri}: '..' climbs above the block-store root (bs://)`);
      }
      expect(new MrError('MR_ERR_BAD_URI', '').exitCode).toBe(2);
    },
  );

  it('refuses what is not a bs:// URI', () => {
    expect(thrown(() => bsNamespacePath('/a/b')).code).toBe('MR_ERR_BAD_URI');
    expect(thrown(() => bsPath('s3://a/b')).message).toBe('s3://a/b is not a bs:// URI');
  });
});
