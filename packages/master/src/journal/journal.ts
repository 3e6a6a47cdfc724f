import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MrError } from '@mr/shared';
import { initialState } from '../machine/state.js';
import { step } from '../machine/step.js';
import type { FsState, MachineConfig, MasterEvent, MasterState } from '../machine/types.js';

/**
 * The master's journal under --data (design.md: a log of events that replays to the same state).
 * Every event is appended, with a sequence number, before the machine sees it; every
 * `snapshotEvery` events the whole state is written to a snapshot and the log starts over.
 * Recovery loads the snapshot and replays the events after it through the same pure `step`.
 */
const DEFAULT_SNAPSHOT_EVERY = 20_000;
/**
 * ...or once the log holds this many bytes, whichever comes first: events can be large (a failed
 * attempt's output tail is up to 64 KiB) and recovery reads the log whole.
 */
const SNAPSHOT_AFTER_BYTES = 64 * 1024 * 1024;

interface Snapshot {
  seq: number;
  state: SerializedState;
}

type Values<M> = M extends Map<string, infer V> ? V[] : never;
type SerializedState = Omit<MasterState, 'nodes' | 'jobs' | 'attempts' | 'config' | 'fs'> & {
  nodes: Values<MasterState['nodes']>;
  jobs: Values<MasterState['jobs']>;
  attempts: Values<MasterState['attempts']>;
  fs: { entries: Values<FsState['entries']>; blocks: Values<FsState['blocks']>; nextBlock: number; corruptReplicas: number };
};

export function serializeState(s: MasterState): SerializedState {
  return {
    jobOrder: s.jobOrder, shuffleCursor: s.shuffleCursor, ...(s.noCoreSinceMs !== undefined ? { noCoreSinceMs: s.noCoreSinceMs } : {}),
    nodes: [...s.nodes.values()], jobs: [...s.jobs.values()], attempts: [...s.attempts.values()],
    fs: { entries: [...s.fs.entries.values()], blocks: [...s.fs.blocks.values()], nextBlock: s.fs.nextBlock, corruptReplicas: s.fs.corruptReplicas },
  };
}

export function deserializeState(x: SerializedState, config: Partial<MachineConfig>): MasterState {
  const s = initialState(config);
  s.jobOrder = x.jobOrder;
  s.shuffleCursor = x.shuffleCursor;
  if (x.noCoreSinceMs !== undefined) s.noCoreSinceMs = x.noCoreSinceMs;
  for (const n of x.nodes) s.nodes.set(n.id, n);
  for (const j of x.jobs) s.jobs.set(j.id, j);
  for (const a of x.attempts) s.attempts.set(a.id, a);
  for (const e of x.fs.entries) s.fs.entries.set(e.path, e);
  for (const b of x.fs.blocks) s.fs.blocks.set(b.id, b);
  s.fs.nextBlock = x.fs.nextBlock;
  s.fs.corruptReplicas = x.fs.corruptReplicas;
  return s;
}

export class Journal {
  private fd: number;
  private seq: number;
  private sinceSnapshot = 0;
  private bytesSinceSnapshot = 0;

  private constructor(
    private readonly dir: string,
    seq: number,
    private readonly snapshotEvery: number,
  ) {
    this.seq = seq;
    this.fd = openSync(join(dir, 'events.log'), 'a');
  }

  /** Opens (or creates) the journal and rebuilds the state it records. */
  static open(dir: string, config: Partial<MachineConfig>, snapshotEvery = DEFAULT_SNAPSHOT_EVERY): { journal: Journal; state: MasterState; replayed: number; recovered: boolean } {
    mkdirSync(dir, { recursive: true });
    const snapFile = join(dir, 'snapshot.json');
    let state = initialState(config);
    let seq = 0;
    let recovered = false;
    if (existsSync(snapFile)) {
      let snap: Snapshot;
      try {
        snap = JSON.parse(readFileSync(snapFile, 'utf8')) as Snapshot;
      } catch (e) {
        throw new MrError('MR_ERR_JOURNAL', `cannot read ${snapFile}: ${(e as Error).message}`);
      }
      state = deserializeState(snap.state, config);
      seq = snap.seq;
      recovered = true;
    }
    let replayed = 0;
    const log = join(dir, 'events.log');
    if (existsSync(log)) {
      const lines = readFileSync(log, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line === '') continue;
        let rec: { seq: number; e: MasterEvent };
        try {
          rec = JSON.parse(line) as { seq: number; e: MasterEvent };
        } catch {
          // the last line may be torn by a crash mid-write; anywhere else it is corruption
          if (i >= lines.length - 2) break;
          throw new MrError('MR_ERR_JOURNAL', `${log}: line ${i + 1} is corrupt`);
        }
        if (rec.seq <= seq) continue; // already in the snapshot
        step(state, rec.e);
        seq = rec.seq;
        replayed++;
        recovered = true;
      }
    }
    const journal = new Journal(dir, seq, snapshotEvery);
    // start from a compact snapshot (the torn tail, if any, is dropped with the old log)
    if (recovered) journal.snapshot(state);
    return { journal, state, replayed, recovered };
  }

  /** Persists an event before the machine sees it (style.md: persist, then act). */
  append(e: MasterEvent): void {
    this.seq++;
    this.bytesSinceSnapshot += writeSync(this.fd, JSON.stringify({ seq: this.seq, e }) + '\n');
    this.sinceSnapshot++;
  }

  /** Whether the log is long enough to fold into a snapshot (after the event is applied). */
  get snapshotDue(): boolean {
    return this.sinceSnapshot >= this.snapshotEvery || this.bytesSinceSnapshot >= SNAPSHOT_AFTER_BYTES;
  }

  snapshot(state: MasterState): void {
    const snapFile = join(this.dir, 'snapshot.json');
    writeFileSync(`${snapFile}.tmp`, JSON.stringify({ seq: this.seq, state: serializeState(state) } satisfies Snapshot));
    renameSync(`${snapFile}.tmp`, snapFile);
    // events up to `seq` are in the snapshot: start the log over
    closeSync(this.fd);
    rmSync(join(this.dir, 'events.log'), { force: true });
    this.fd = openSync(join(this.dir, 'events.log'), 'a');
    this.sinceSnapshot = 0;
    this.bytesSinceSnapshot = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
