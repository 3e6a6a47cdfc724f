import { basename } from 'node:path';
import { defineJob } from '@mr/shared/core';
import { takesNoParams } from './no-params.js';
import { forEachWord } from './wordcount.js';

/**
 * Inverted index (6.5840's indexer): word -> the sorted, distinct documents it occurs in, as
 * `count doc1,doc2,..`. A document is an input file's base name; map needs to know it, so the
 * record handed to map is the line and ctx.input names the file.
 */
export default defineJob<string[], string>({
  name: 'indexer',
  params: takesNoParams('indexer'),
  map(line, emit, ctx) {
    const doc = basename(ctx.input ?? '');
    const seen = new Set<string>();
    forEachWord(line, (w) => {
      if (!seen.has(w)) {
        seen.add(w);
        emit(w, [doc]);
      }
    });
  },
  combine(_key, values) {
    return [...new Set(values.flat())].sort();
  },
  reduce(key, values, emit) {
    const docs = new Set<string>();
    for (const v of values) for (const d of v) docs.add(d);
    const sorted = [...docs].sort();
    emit(key, `${sorted.length} ${sorted.join(',')}`);
  },
});
