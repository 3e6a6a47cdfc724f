import { compareBytes, compareUtf8, type RecordReader } from '@mr/shared/core';

/**
 * K-way merge of sorted record streams, grouped by key. Keys come out in UTF-8 byte order; the
 * values of a key are produced lazily, so a reducer with many values per key stays in bounded
 * memory. Values a consumer leaves unread are skipped by `nextKey`.
 */
export class GroupedMerge {
  private readonly heap: RecordReader[] = [];
  private current: string | undefined;

  constructor(readers: RecordReader[]) {
    try {
      for (const r of readers) {
        if (r.next()) this.push(r);
        else r.close(); // empty: nothing will ever close it later
      }
    } catch (e) {
      for (const r of readers) r.close();
      throw e;
    }
  }

  get key(): string {
    return this.current!;
  }

  nextKey(): boolean {
    const h = this.heap;
    if (this.current !== undefined) while (h.length > 0 && h[0]!.key === this.current) this.advanceTop();
    if (h.length === 0) return false;
    this.current = h[0]!.key;
    return true;
  }

  /**
   * The current key's values, read as they are iterated. One iterator object for the whole merge
   * (a generator per key costs more than the record): like a generator, it is done once the key's
   * values are, and yields nothing more.
   */
  values(): IterableIterator<unknown> {
    return this.iterator;
  }

  private readonly iterator: IterableIterator<unknown> = {
    next: (): IteratorResult<unknown> => {
      const h = this.heap;
      if (h.length === 0 || h[0]!.key !== this.current) return { value: undefined, done: true };
      const value = h[0]!.value;
      this.advanceTop();
      return { value, done: false };
    },
    [Symbol.iterator]() {
      return this;
    },
  };

  /** The current key's remaining values as an array (for the combiner). */
  valueArray(): unknown[] {
    const out: unknown[] = [];
    const h = this.heap;
    while (h.length > 0 && h[0]!.key === this.current) {
      out.push(h[0]!.value);
      this.advanceTop();
    }
    return out;
  }

  /** Closes every reader still open (after an error, or when a consumer stops early). */
  close(): void {
    for (const r of this.heap.splice(0)) r.close();
  }

  private advanceTop(): void {
    const h = this.heap;
    const top = h[0]!;
    if (top.next()) {
      this.siftDown(0);
    } else {
      top.close();
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        this.siftDown(0);
      }
    }
  }

  private push(r: RecordReader): void {
    const h = this.heap;
    h.push(r);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (compareUtf8(h[i]!.key, h[p]!.key) >= 0) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && compareUtf8(h[l]!.key, h[m]!.key) < 0) m = l;
      if (r < h.length && compareUtf8(h[r]!.key, h[m]!.key) < 0) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * A sorted stream of encoded records read without decoding them: after `nextRaw()` returns true,
 * the record is bytes [rawStart, rawEnd) of `raw` and its key [keyStart, keyEnd), valid until the
 * next call. RecordReader is one (map spills on disk), the sort buffer's in-memory run another.
 */
export interface RawSource {
  raw: Buffer;
  rawStart: number;
  keyStart: number;
  keyEnd: number;
  rawEnd: number;
  nextRaw(): boolean;
  close(): void;
}

/**
 * K-way merge of sorted raw sources by key bytes (UTF-8 order), records never decoded: `current`
 * is the source holding the smallest record, `advance()` moves past it. Equal keys come out in
 * source order (earlier spills first), so the merge is stable.
 */
export class RawMerge {
  private readonly heap: number[] = [];

  constructor(private readonly sources: RawSource[]) {
    sources.forEach((s, i) => {
      if (s.nextRaw()) this.push(i);
      else s.close();
    });
  }

  /** The source whose current record comes next, or undefined at the end. */
  get current(): RawSource | undefined {
    const h = this.heap;
    return h.length > 0 ? this.sources[h[0]!] : undefined;
  }

  advance(): void {
    const h = this.heap;
    const top = this.sources[h[0]!]!;
    if (top.nextRaw()) {
      this.siftDown(0);
    } else {
      top.close();
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        this.siftDown(0);
      }
    }
  }

  close(): void {
    for (const i of this.heap.splice(0)) this.sources[i]!.close();
  }

  private less(i: number, j: number): boolean {
    const a = this.sources[i]!;
    const b = this.sources[j]!;
    const c = compareBytes(a.raw, a.keyStart, a.keyEnd, b.raw, b.keyStart, b.keyEnd);
    return c < 0 || (c === 0 && i < j);
  }

  private push(i: number): void {
    const h = this.heap;
    h.push(i);
    for (let k = h.length - 1; k > 0; ) {
      const p = (k - 1) >> 1;
      const x = h[k]!;
      if (!this.less(x, h[p]!)) break;
      h[k] = h[p]!;
      h[p] = x;
      k = p;
    }
  }

  private siftDown(k: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === k) return;
      const x = h[k]!;
      h[k] = h[m]!;
      h[m] = x;
      k = m;
    }
  }
}
