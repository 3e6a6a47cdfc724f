import { describe, expect, it } from 'vitest';
import { compareUtf8, defaultPartition, fnv1a32 } from './order.js';

const samples = ['', 'a', 'A', 'ab', 'b', 'é', 'z', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '😀', '𝐀', 'a😀', 'a\uffff', 'Zürich', '東京'];

describe('key order: UTF-8 bytes (contract.md "Output")', () => {
  it('compareUtf8 sorts exactly like Buffer.compare of the UTF-8 encodings', () => {
    const byBytes = [...samples].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...samples].sort(compareUtf8)).toEqual(byBytes);
    // the case plain `<` gets wrong: U+FFFF sorts before an astral character in UTF-8
    expect(compareUtf8('\uffff', '😀')).toBeLessThan(0);
    expect('\uffff' < '😀').toBe(false);
  });
});

describe('default partitioner: FNV-1a 32 over UTF-8 bytes, fixed forever', () => {
  it('matches the reference FNV-1a over Buffer.from(key)', () => {
    const ref = (s: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
      return h >>> 0;
    };
    for (const s of [...samples, 'lone\ud800surrogate', 'x'.repeat(1000)]) expect(fnv1a32(s), s).toBe(ref(s));
  });

  it('pins known values so parts stay byte-identical across versions', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(defaultPartition('the', 3)).toBe(fnv1a32('the') % 3);
  });
});
