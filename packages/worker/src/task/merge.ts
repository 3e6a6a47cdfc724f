import { compareUtf8, type RecordReader } from '@mr/shared';

/**
 * K-way merge of sorted record streams, grouped by key. Keys come out in UTF-8 byte order; the
 * values of a key are produced lazily, so a reducer with many values per key stays in bounded
 * memory. Values a consumer leaves unread are skipped by `nextKey`.
 */
export class GroupedMerge {
  private readonly heap: RecordReader[] = [];
  private current: string | undefined;

  constructor(readers: RecordReader[]) {
    for (const r of readers) if (r.next()) this.push(r);
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

  *values(): Generator<unknown> {
    const h = this.heap;
    while (h.length > 0 && h[0]!.key === this.current) {
      const v = h[0]!.value;
      this.advanceTop();
      yield v;
    }
  }

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
