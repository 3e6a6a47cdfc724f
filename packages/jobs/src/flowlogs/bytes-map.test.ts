import { describe, expect, it } from 'vitest';
import { BytesMap } from './bytes-map.js';

describe('BytesMap: a hash map keyed by byte ranges', () => {
  it('agrees with a Map of strings over many keys read from ranges of a larger buffer (growth, long and non-ASCII keys)', () => {
    const m = new BytesMap<number[]>();
    const ref = new Map<string, number[]>();
    let x = 7;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 60_000; i++) {
      const r = rnd();
      // mostly repeats of 5,000 keys, some keys sharing prefixes, lengths 0..200
      const key = r % 97 === 0 ? `${'é'.repeat(r % 50)}k${r % 5000}` : r % 89 === 0 ? 'x'.repeat(r % 200) : `10.0.${r % 5000 >> 8}.${r % 256} 10.1.0.${r % 7}`;
      const line = Buffer.from(`pad ${key} end`);
      const [start, end] = [4, 4 + Buffer.byteLength(key)];
      const held = m.get(line, start, end);
      expect(held).toBe(ref.get(key));
      if (held) held[0]!++;
      else {
        const v = [1];
        m.add(line, start, end, v);
        ref.set(key, v);
      }
    }
    expect(m.size).toBe(ref.size);
    expect([...m.entries()]).toEqual([...ref.entries()]); // insertion order, keys decoded
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get(Buffer.from('10.0.0.1 10.1.0.1'), 0, 17)).toBeUndefined();
    m.add(Buffer.from('a'), 0, 1, [9]);
    expect([...m.entries()]).toEqual([['a', [9]]]);
  });

  it('the empty key and keys that differ only past a shared prefix', () => {
    const m = new BytesMap<string>();
    const b = Buffer.from('abcabd');
    m.add(b, 0, 0, 'empty');
    m.add(b, 0, 3, 'abc');
    m.add(b, 3, 6, 'abd');
    expect(m.get(b, 0, 0)).toBe('empty');
    expect(m.get(b, 0, 3)).toBe('abc');
    expect(m.get(b, 3, 6)).toBe('abd');
    expect(m.get(b, 0, 2)).toBeUndefined();
  });
});
