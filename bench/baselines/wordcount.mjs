// The word-count baseline: one thread, a Map of counts, a char-code loop. Same word as the
// `wordcount` job (packages/jobs/src/wordcount.ts): a maximal run of Unicode letters (\p{L}),
// astral letters included, case kept.
//   node bench/baselines/wordcount.mjs OUT_FILE FILE..   -> OUT_FILE holds word<TAB>count lines;
//   prints {"ms": N, "words": N} (ms: reading, counting and writing, not Node's start)
import { createReadStream, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const LETTER = /^\p{L}$/u;
/** BMP code unit -> 0 unknown, 1 letter, 2 not a letter; filled as met. */
const bmpClass = new Uint8Array(0x10000);

function isLetter(cp) {
  if (cp < 0x10000) {
    let k = bmpClass[cp];
    if (k === 0) bmpClass[cp] = k = LETTER.test(String.fromCharCode(cp)) ? 1 : 2;
    return k === 1;
  }
  return LETTER.test(String.fromCodePoint(cp));
}

/** Counts the words of `text` into `counts`; returns the unfinished word at its end ('' if none). */
export function countText(text, counts) {
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
    if (isLetter(cp)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      const w = text.slice(start, i);
      counts.set(w, (counts.get(w) ?? 0) + 1);
      start = -1;
    }
    i += width - 1;
  }
  return start >= 0 ? text.slice(start) : '';
}

/** Word counts of the files, each read as a UTF-8 stream (a code point never splits across chunks). */
export async function countFiles(files, counts = new Map()) {
  for (const file of files) {
    const decoder = new TextDecoder();
    let carry = '';
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      carry = countText(carry + decoder.decode(chunk, { stream: true }), counts);
    }
    const rest = countText(carry + decoder.decode(), counts);
    if (rest) counts.set(rest, (counts.get(rest) ?? 0) + 1);
  }
  return counts;
}

export function formatCounts(counts) {
  let out = '';
  for (const [w, n] of counts) out += `${w}\t${n}\n`;
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [outFile, ...files] = process.argv.slice(2);
  const t0 = performance.now();
  const counts = await countFiles(files);
  writeFileSync(outFile, formatCounts(counts));
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, words: counts.size }) + '\n');
}
