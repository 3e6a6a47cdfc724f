import { describe, expect, it } from 'vitest';
import { plural, thousands } from './text.js';

describe('counts in words', () => {
  it('the noun agrees with the count: 0 and 2 are plural, 1 is not', () => {
    expect([0, 1, 2].map((n) => plural(n, 'task'))).toEqual(['0 tasks', '1 task', '2 tasks']);
    expect([0, 1, 2].map((n) => plural(n, 'entry', { plural: 'entries' }))).toEqual(['0 entries', '1 entry', '2 entries']);
  });

  it('groups thousands unless asked not to', () => {
    expect(plural(1_234_567, 'record')).toBe('1,234,567 records');
    expect(plural(1_234_567, 'record', { grouped: false })).toBe('1234567 records');
    expect([0, 999, 1000, 12_345].map(thousands)).toEqual(['0', '999', '1,000', '12,345']);
  });
});
