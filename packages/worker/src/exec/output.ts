/**
 * What user code writes (console.*, process.stdout/stderr) while an attempt runs in its thread:
 * the last OUTPUT_TAIL_BYTES are kept in a ring in shared memory, so the executor can read them
 * on the main thread however the attempt ends (thrown, timed out and terminated, killed). The
 * writes never reach the process's stdout (`mr run --json` prints only its document there): they
 * go on to its stderr, or nowhere, as the worker is told. Nothing is done per record: only a write
 * by user code costs anything.
 */
import { readFileSync, writeSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Bytes of user output kept per attempt (the tail: older bytes are overwritten). */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

const HEADER = 8; // total bytes ever written, a BigInt64 (Atomics)

/** A bounded tail of bytes over a SharedArrayBuffer: written in the attempt's thread, read anywhere. */
export class OutputTail {
  private readonly total: BigInt64Array;
  private readonly ring: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.total = new BigInt64Array(buffer, 0, 1);
    this.ring = new Uint8Array(buffer, HEADER);
  }

  static create(capacity = OUTPUT_TAIL_BYTES): OutputTail {
    return new OutputTail(new SharedArrayBuffer(HEADER + capacity));
  }

  get capacity(): number {
    return this.ring.length;
  }

  /** Bytes written so far (kept or not). */
  get written(): number {
    return Number(Atomics.load(this.total, 0));
  }

  write(bytes: Uint8Array): void {
    const cap = this.ring.length;
    if (bytes.length === 0 || cap === 0) return;
    const before = this.written;
    // only the last `cap` bytes of a big write can survive
    const src = bytes.length > cap ? bytes.subarray(bytes.length - cap) : bytes;
    const pos = (before + bytes.length - src.length) % cap;
    const first = Math.min(src.length, cap - pos);
    this.ring.set(src.subarray(0, first), pos);
    if (first < src.length) this.ring.set(src.subarray(first), 0);
    Atomics.store(this.total, 0, BigInt(before + bytes.length));
  }

  /**
   * The kept bytes as text, oldest first; when older output was dropped, a first line says how
   * much (and the text starts at the next whole character).
   */
  read(): string {
    const cap = this.ring.length;
    const total = this.written;
    if (total <= cap) return Buffer.from(this.ring.subarray(0, total)).toString('utf8');
    const pos = total % cap;
    let bytes = Buffer.concat([this.ring.subarray(pos), this.ring.subarray(0, pos)]);
    let skip = 0;
    while (skip < 4 && skip < bytes.length && (bytes[skip]! & 0xc0) === 0x80) skip++; // mid-character
    bytes = bytes.subarray(skip);
    return `[${total - bytes.length} earlier bytes dropped]\n${bytes.toString('utf8')}`;
  }
}

let current: OutputTail | undefined;
let forwarding = false;
let originals: { stream: NodeJS.WriteStream; write: NodeJS.WriteStream['write'] }[] | undefined;

/**
 * Routes what this thread writes to process.stdout and process.stderr (console.* writes there too)
 * into `tail` (undefined: no attempt is running), and, when `forward`, to this process's stderr;
 * until called again. Threads run one attempt at a time.
 *
 * Nothing goes through the thread's own streams: Node hands those to the main thread, which
 * writes them to the process's stdout, and piscina waits for them to drain before it returns an
 * attempt's result. A stdout whose reader went away (`mr run --json | head -c 300`) never
 * drains, so every attempt that had written hung until its task timeout, and the job never ended.
 */
export function captureOutput(tail: OutputTail | undefined, forward: boolean): void {
  current = tail;
  forwarding = forward;
  if (originals) return;
  originals = [process.stdout, process.stderr].map((stream) => ({ stream, write: stream.write }));
  for (const { stream } of originals) {
    stream.write = function (chunk: unknown, ...rest: unknown[]): boolean {
      try {
        const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
        current?.write(bytes);
        if (forwarding) toStderr(bytes);
      } catch {
        // keeping a copy must never break the user's write
      }
      const done = rest.find((r): r is () => void => typeof r === 'function');
      if (done) process.nextTick(done);
      return true;
    } as typeof stream.write;
  }
}

/** Gives the streams their own write back (tests: threads keep capturing until they end). */
export function stopCapturingOutput(): void {
  for (const { stream, write } of originals ?? []) stream.write = write;
  originals = undefined;
  current = undefined;
}

/** How long a forwarded write waits for a full stderr (a pipe not being read) before it is dropped. */
const FORWARD_WAIT_MS = 1_000;
let stderrUsable = true;

/**
 * Writes to fd 2 from this thread, synchronously: the main thread is not involved, so nothing
 * queues there. A stderr whose reader went away (EPIPE), or that stays full for FORWARD_WAIT_MS,
 * is given up for the rest of the thread's life: the tail still keeps what user code writes.
 */
function toStderr(bytes: Uint8Array): void {
  if (!stderrUsable) return;
  let done = 0;
  let waited = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(2, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && waited < FORWARD_WAIT_MS) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        waited++;
        continue;
      }
      stderrUsable = false;
      return;
    }
  }
}

/** Frames in these places are the engine's, not the user's. */
const ENGINE_DIRS = [fileURLToPath(new URL('../../', import.meta.url)), sharedDir(), '/node_modules/piscina/'];
const MAX_STACK_FRAMES = 30;
const MAX_STACK_CHARS = 8 * 1024;

function sharedDir(): string {
  try {
    return fileURLToPath(new URL('../', import.meta.resolve('@mr/shared')));
  } catch {
    return '/node_modules/@mr/shared/';
  }
}

function isEngineFrame(line: string): boolean {
  if (/\((node:|native)|at node:|\(<anonymous>\)$/.test(line)) return true;
  return ENGINE_DIRS.some((d) => line.includes(d) || line.includes(`file://${d}`));
}

/**
 * The stack trace of what user code threw, with the engine's frames taken out: the message line(s)
 * and the user's own frames (undefined when there are none). Looks through `cause`s to the
 * innermost error, the one user code threw (or the engine's check that user code tripped).
 */
export function userStack(e: unknown): string | undefined {
  let inner = e;
  for (let i = 0; i < 8 && inner instanceof Error && inner.cause !== undefined; i++) inner = inner.cause;
  const stack = inner instanceof Error && typeof inner.stack === 'string' ? inner.stack : undefined;
  if (!stack) return undefined;
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
  if (firstFrame < 0) return undefined;
  const frames = lines.slice(firstFrame).filter((l) => !isEngineFrame(l)).slice(0, MAX_STACK_FRAMES).map(mapFrame);
  if (frames.length === 0) return undefined;
  const text = [...lines.slice(0, firstFrame), ...frames].join('\n');
  return text.length > MAX_STACK_CHARS ? text.slice(0, MAX_STACK_CHARS) : text;
}

/** Inline source maps of job bundles, by file (null: none), read when a stack needs them. */
const sourceMaps = new Map<string, { map: SourceMap; root: string } | null>();
const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

function sourceMapOf(file: string): { map: SourceMap; root: string } | undefined {
  if (!sourceMaps.has(file)) {
    if (sourceMaps.size >= 32) sourceMaps.clear();
    let found: { map: SourceMap; root: string } | null = null;
    try {
      const m = INLINE_MAP.exec(readFileSync(file, 'utf8'));
      if (m) {
        const payload = JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as ConstructorParameters<typeof SourceMap>[0] & { sourceRoot?: string };
        found = { map: new SourceMap(payload), root: payload.sourceRoot ?? '' };
      }
    } catch {
      // no usable map: the frame stays as it is
    }
    sourceMaps.set(file, found);
  }
  return sourceMaps.get(file) ?? undefined;
}

/**
 * A frame in a job bundle (a user module, bundled with an inline source map by `mr submit`) as the
 * place in the user's own source: the line they wrote, not the bundle's.
 */
function mapFrame(line: string): string {
  const m = /^(\s+at (?:.* \()?)(file:\/\/\/[^():]+|\/[^():]+):(\d+):(\d+)(\)?)$/.exec(line);
  if (!m) return line;
  try {
    const file = m[2]!.startsWith('file:') ? fileURLToPath(m[2]!) : m[2]!;
    const sm = sourceMapOf(file);
    if (!sm) return line;
    const e = sm.map.findEntry(Number(m[3]) - 1, Number(m[4]) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return line;
    const url = new URL(e.originalSource, sm.root || `file://${file}`);
    const where = url.protocol === 'file:' ? fileURLToPath(url) : url.href;
    return `${m[1]}${where}:${e.originalLine + 1}:${e.originalColumn + 1}${m[5]}`;
  } catch {
    return line;
  }
}
