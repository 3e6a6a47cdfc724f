import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareUtf8, RecordReader, RecordWriter } from '@mr/shared';
import { GroupedMerge } from './merge.js';

type Combine = (key: string, values: unknown[]) => unknown;

/** Values of one key are folded by the combiner once this many have piled up. */
const COMBINE_EVERY = 64;
/** Rough heap cost of a map entry and of one buffered value, for the spill decision. */
const KEY_OVERHEAD = 96;
const VALUE_OVERHEAD = 16;

/** Rough heap size of a value past its overhead: strings, and arrays (two levels deep, e.g. partial aggregates with value sets). */
function valueBytes(v: unknown, depth: number): number {
  if (typeof v === 'string') return 2 * v.length;
  if (Array.isArray(v)) {
    if (depth >= 2) return 8 * v.length;
    let n = 8 * v.length;
    for (const x of v) n += valueBytes(x, depth + 1);
    return n;
  }
  return typeof v === 'object' && v !== null ? 64 : 0;
}

/**
 * The map side's bounded buffer (design.md, step 2): records grouped by partition and key,
 * combined as they arrive; when the estimated size passes `limitBytes`, each partition is written
 * sorted (and combined) to a run on disk. `finish` merges the runs into one output file holding the
 * partitions back to back and returns each partition's byte length.
 */
export class SortBuffer {
  private parts: Map<string, unknown[]>[];
  private bytes = 0;
  private readonly runs: string[][] = []; // runs[i][p] = file of partition p in spill i
  records = 0;
  combineInput = 0;

  constructor(
    private readonly numPartitions: number,
    private readonly combine: Combine | undefined,
    private readonly limitBytes: number,
    private readonly workDir: string,
  ) {
    this.parts = this.emptyParts();
  }

  get spills(): number {
    return this.runs.length;
  }

  add(partition: number, key: string, value: unknown): void {
    this.records++;
    const part = this.parts[partition]!;
    let values = part.get(key);
    if (values === undefined) {
      part.set(key, (values = []));
      this.bytes += KEY_OVERHEAD + 2 * key.length;
    }
    values.push(value);
    this.bytes += VALUE_OVERHEAD + valueBytes(value, 0);
    if (this.combine && values.length >= COMBINE_EVERY) {
      this.combineInput += values.length;
      part.set(key, [this.combine(key, values)]);
    }
    if (this.bytes > this.limitBytes) this.spill();
  }

  /** Writes the output file; returns the byte length of each partition in it. */
  finish(outFile: string): number[] {
    const fd = openSync(outFile, 'w');
    const w = new RecordWriter(fd);
    const sizes: number[] = [];
    try {
      if (this.runs.length === 0) {
        for (const part of this.parts) {
          const before = w.bytes;
          this.writeSorted(part, w);
          sizes.push(w.bytes - before);
        }
      } else {
        if (this.bytes > 0) this.spill();
        for (let p = 0; p < this.numPartitions; p++) {
          const before = w.bytes;
          this.mergeRuns(p, w);
          sizes.push(w.bytes - before);
        }
      }
      w.flush();
    } finally {
      closeSync(fd);
      for (const run of this.runs) for (const f of run) rmSync(f, { force: true });
    }
    return sizes;
  }

  private spill(): void {
    const files: string[] = [];
    this.parts.forEach((part, p) => {
      const file = join(this.workDir, `spill-${this.runs.length}-${p}`);
      const fd = openSync(file, 'w');
      try {
        const w = new RecordWriter(fd);
        this.writeSorted(part, w);
        w.flush();
      } finally {
        closeSync(fd);
      }
      files.push(file);
    });
    this.runs.push(files);
    this.parts = this.emptyParts();
    this.bytes = 0;
  }

  private writeSorted(part: Map<string, unknown[]>, w: RecordWriter): void {
    const keys = [...part.keys()].sort(compareUtf8);
    for (const key of keys) {
      const values = part.get(key)!;
      if (this.combine && values.length > 1) {
        this.combineInput += values.length;
        w.write(key, this.combine(key, values));
      } else {
        for (const v of values) w.write(key, v);
      }
    }
  }

  private mergeRuns(p: number, w: RecordWriter): void {
    const merge = new GroupedMerge(this.runs.map((run) => RecordReader.fromFile(run[p]!)));
    try {
      while (merge.nextKey()) {
        const key = merge.key;
        const values = merge.valueArray();
        if (this.combine && values.length > 1) w.write(key, this.combine(key, values));
        else for (const v of values) w.write(key, v);
      }
    } finally {
      merge.close();
    }
  }

  private emptyParts(): Map<string, unknown[]>[] {
    return Array.from({ length: this.numPartitions }, () => new Map());
  }
}
