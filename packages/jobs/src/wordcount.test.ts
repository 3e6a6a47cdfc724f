import { describe, expect, it } from 'vitest';
import { forEachWord } from './wordcount.js';

const words = (text: string) => {
  const out: string[] = [];
  forEachWord(text, (w) => out.push(w));
  return out;
};

describe('forEachWord (contract.md: a word is a maximal run of \\p{L})', () => {
  it('agrees with the regex definition on random text of ASCII, accents, CJK, astral letters, emoji, marks and lone surrogates', () => {
    const pieces = ['a', 'Z', ' ', '\t', '-', '9', "'", 'é', 'ß', 'Ω', '中', '\u0301', '\u{1D400}', '\u{1F600}', '\uD800', '\uDC00', 'ｱ', '\u00A0'];
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const len = Math.floor(rand() * 30);
      for (let i = 0; i < len; i++) text += pieces[Math.floor(rand() * pieces.length)];
      expect(words(text), JSON.stringify(text)).toEqual(text.match(/\p{L}+/gu) ?? []);
    }
  });

  it('keeps case and splits on everything that is not a letter', () => {
    expect(words("Don't stop-me now: naïve 𝐀𝐁c 😀x")).toEqual(['Don', 't', 'stop', 'me', 'now', 'naïve', '𝐀𝐁c', 'x']);
  });
});
