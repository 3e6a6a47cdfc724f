import { defineJob, type JobContext } from '@mr/shared/core';
import { takesNoParams } from './no-params.js';

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
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let letter: boolean;
    if (c < 0x80) {
      letter = bmpClass[c] === 1; // the common case: no call, no surrogate check
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) < 0xe000) {
      letter = isLetterCodePoint(0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00));
      if (letter) {
        if (start < 0) start = i;
        i++; // the low surrogate belongs to this letter
        continue;
      }
    } else {
      letter = isLetterCodePoint(c);
    }
    if (letter) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      onWord(text.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) onWord(text.slice(start));
}

function sum(values: Iterable<number>): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}

/** Words a map task counts in memory before it emits them (bounds the table whatever the input). */
const MAX_HELD_WORDS = 200_000;
/** Each map attempt's counts (in-mapper combining: one emit per distinct word, not per word). */
const held = new WeakMap<JobContext, Map<string, number>>();

function flush(counts: Map<string, number>, emit: (key: string, value: number) => void): void {
  for (const [w, n] of counts) emit(w, n);
  counts.clear();
}

/** contract.md: a word is a maximal run of Unicode letters, case kept; value = count. */
export default defineJob<number, number>({
  name: 'wordcount',
  params: takesNoParams('wordcount'),
  map(line, emit, ctx) {
    let counts = held.get(ctx);
    if (!counts) held.set(ctx, (counts = new Map()));
    const c = counts;
    forEachWord(line, (w) => {
      const n = c.get(w);
      if (n !== undefined) c.set(w, n + 1);
      else {
        if (c.size >= MAX_HELD_WORDS) flush(c, emit);
        c.set(w, 1);
      }
    });
  },
  mapCleanup(emit, ctx) {
    const counts = held.get(ctx);
    if (counts) flush(counts, emit);
  },
  combine: (_key, values) => sum(values),
  reduce(key, values, emit) {
    emit(key, sum(values));
  },
});
