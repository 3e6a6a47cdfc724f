import { describe, expect, it } from 'vitest';
import { BytesMap } from './bytes-map.js';

function drained<V>(m: BytesMap<V>, spaceTo?: number): [string, V][] {
  const out: [string, V][] = [];
  m.drain((k, v) => out.push([k, v]), spaceTo);
  return out;
}

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
    expect(drained(m)).toEqual([...ref.entries()]); // insertion order, keys decoded
    expect(m.size).toBe(0);
    expect(m.get(Buffer.from('10.0.0.1 10.1.0.1'), 0, 17)).toBeUndefined();
    m.add(Buffer.from('a'), 0, 1, [9]);
    expect(drained(m)).toEqual([['a', [9]]]);
  });

  it('drain can turn the spaces of keys into another byte (TAB-joined group keys); the map is empty and reusable after', () => {
    const m = new BytesMap<number>();
    const b = Buffer.from('10.0.0.1 10.0.0.2|é x  y|solo');
    m.add(b, 0, 17, 1);
    m.add(b, 18, 25, 2);
    m.add(b, 26, 30, 3);
    expect(drained(m, 9)).toEqual([['10.0.0.1\t10.0.0.2', 1], ['é\tx\t\ty', 2], ['solo', 3]]);
    expect(m.get(b, 0, 17)).toBeUndefined();
    m.add(b, 0, 17, 4);
    expect(m.get(b, 0, 17)).toBe(4);
    expect(drained(m)).toEqual([['10.0.0.1 10.0.0.2', 4]]);
  });

  it('a drain whose callback throws still leaves the map empty (its keys were rewritten)', () => {
    const m = new BytesMap<number>();
    const b = Buffer.from('a b');
    m.add(b, 0, 3, 1);
    expect(() => m.drain(() => {
      throw new Error('emit failed');
    }, 9)).toThrow('emit failed');
    expect(m.size).toBe(0);
    expect(m.get(b, 0, 3)).toBeUndefined();
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
