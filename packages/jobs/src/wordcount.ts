import { defineJob } from '@mr/shared';

const LETTER = /^\p{L}$/u;
/** BMP code unit -> 0 unknown, 1 letter, 2 not a letter; filled lazily so the hot loop skips the regex. */
const bmpClass = new Uint8Array(0x10000);
for (let c = 0; c < 0x80; c++) bmpClass[c] = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 2;

function isLetterCodePoint(cp: number): boolean {
  if (cp < 0x10000) {
    let k = bmpClass[cp]!;
    if (k === 0) bmpClass[cp] = k = LETTER.test(String.fromCharCode(cp)) ? 1 : 2;
    return k === 1;
  }
  return LETTER.test(String.fromCodePoint(cp));
}

/** Calls `onWord` for each maximal run of Unicode letters (\p{L}) in `text`. */
export function forEachWord(text: string, onWord: (word: string) => void): void {
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        width = 2;
      }
    }
    if (isLetterCodePoint(cp)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      onWord(text.slice(start, i));
      start = -1;
    }
    i += width - 1;
  }
  if (start >= 0) onWord(text.slice(start));
}

function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}

/** contract.md: a word is a maximal run of Unicode letters, case kept; value = count. */
export default defineJob<number, number>({
  name: 'wordcount',
  map(line, emit) {
    forEachWord(line, (w) => emit(w, 1));
  },
  combine: (_key, values) => sum(values),
  reduce(key, values, emit) {
    emit(key, sum(values));
  },
});
