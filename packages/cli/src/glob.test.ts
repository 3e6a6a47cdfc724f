import { describe, expect, it } from 'vitest';
import { globMatcher, hasGlob, splitGlob } from './glob.js';

describe('glob patterns in mr fs locations', () => {
  it('finds where the glob starts and how deep a match can lie', () => {
    expect(splitGlob(['data', 'logs', '*.txt'])).toEqual({ base: ['data', 'logs'], rest: '*.txt', depth: 1 });
    expect(splitGlob(['data', 'd?', 'x', '[ab].bin'])).toEqual({ base: ['data'], rest: 'd?/x/[ab].bin', depth: 3 });
    expect(splitGlob(['data', '**', '*.txt'])).toEqual({ base: ['data'], rest: '**/*.txt', depth: Infinity });
    expect(splitGlob(['*'])).toEqual({ base: [], rest: '*', depth: 1 });
    expect(splitGlob(['plain', 'path'])).toEqual({ base: ['plain', 'path'], rest: '', depth: 0 });
  });

  it('tells plain paths from patterns', () => {
    expect(hasGlob('data/part-00000')).toBe(false);
    expect(hasGlob('data/part-*')).toBe(true);
    expect(hasGlob('data/part-0000?')).toBe(true);
    expect(hasGlob('data/[ab]/x')).toBe(true);
    expect(hasGlob('data/**')).toBe(true);
  });

  it('* and ? stay within a segment, [..] is a class, ** spans segments, dot names match', () => {
    const star = globMatcher('*.txt');
    expect(['a.txt', '.hidden.txt', '_x.txt'].every(star)).toBe(true);
    expect(star('d/a.txt')).toBe(false);
    expect(star('a.bin')).toBe(false);
    const one = globMatcher('part-0000?');
    expect(one('part-00003')).toBe(true);
    expect(one('part-000031')).toBe(false);
    const cls = globMatcher('[ab]*');
    expect(cls('a1')).toBe(true);
    expect(cls('b')).toBe(true);
    expect(cls('c1')).toBe(false);
    for (const negated of ['[!a]*', '[^a]*']) {
      expect(globMatcher(negated)('b1'), negated).toBe(true);
      expect(globMatcher(negated)('a1'), negated).toBe(false);
    }
    const deep = globMatcher('**/*.txt');
    expect(['a.txt', 'd/a.txt', 'd/e/f/a.txt'].every(deep)).toBe(true);
    expect(deep('d/a.bin')).toBe(false);
  });
});
