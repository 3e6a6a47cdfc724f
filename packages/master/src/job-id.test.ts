import { describe, expect, it } from 'vitest';
import { JOB_ID_PATTERN, jobIdSource } from './job-id.js';

const at = (iso: string) => ({ nowMs: () => Date.parse(iso) });

describe('job ids', () => {
  it('two masters that start in the same second (two mr runs) give their first jobs different ids', () => {
    const clock = at('2026-12-08T00:10:23.456Z');
    const first = jobIdSource(clock, 0)();
    const second = jobIdSource(clock, 0)();
    expect(first).not.toBe(second);
    for (const id of [first, second]) expect(id).toMatch(/^job-20261208001023-0001-[0-9a-f]{6}$/);
  });

  it('within a master: numbered on from the jobs it already has (a restart), in order, short, URL- and file-name safe', () => {
    const clock = { t: Date.parse('2026-12-08T00:10:23Z'), nowMs() { return this.t; } };
    const next = jobIdSource(clock, 41, () => 'a1b2c3');
    const ids = [next(), next()];
    clock.t += 1000;
    ids.push(next());
    expect(ids).toEqual(['job-20261208001023-0042-a1b2c3', 'job-20261208001023-0043-a1b2c3', 'job-20261208001024-0044-a1b2c3']);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) {
      expect(id).toMatch(JOB_ID_PATTERN);
      expect(encodeURIComponent(id)).toBe(id);
      expect(id.length).toBeLessThanOrEqual(30);
    }
  });
});
