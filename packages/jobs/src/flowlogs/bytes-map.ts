/**
 * A hash map keyed by byte strings, looked up straight from a range of a larger buffer (the
 * line being read): no string is made per lookup, and only a new key is copied (into one
 * growing arena). The map side's table of groups: most records find their group, so the
 * lookup is the hot path. Open addressing with linear probing over a power-of-two slot array;
 * each entry keeps its key's hash, so a probe compares bytes only when the hashes agree.
 */
const EMPTY_SLOT = -1;
const MIN_SLOTS = 1 << 10;

/** FNV-1a (32 bits) of buf[start, end). */
function hashOf(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

/** Each byte `from` of buf[0, end) becomes `to`. */
function replaceByte(buf: Uint8Array, end: number, from: number, to: number): void {
  for (let i = 0; i < end; i++) if (buf[i] === from) buf[i] = to;
}

export class BytesMap<V> {
  /** Entry index per slot, or EMPTY_SLOT. */
  private slots = new Int32Array(MIN_SLOTS).fill(EMPTY_SLOT);
  private hashes = new Int32Array(MIN_SLOTS / 2);
  private keyAt = new Int32Array(MIN_SLOTS / 2);
  private keyLength = new Int32Array(MIN_SLOTS / 2);
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** Values by entry index, in insertion order. */
  private readonly values: V[] = [];

  get size(): number {
    return this.values.length;
  }

  /** The value of the key buf[start, end), or undefined. */
  get(buf: Uint8Array, start: number, end: number): V | undefined {
    const e = this.find(buf, start, end, hashOf(buf, start, end));
    return e === EMPTY_SLOT ? undefined : this.values[e];
  }

  /** Adds the key buf[start, end) (not in the map: get returned undefined) with its value. */
  add(buf: Uint8Array, start: number, end: number, value: V): void {
    const e = this.values.length;
    if (2 * (e + 1) > this.slots.length) this.grow();
    const h = hashOf(buf, start, end);
    const mask = this.slots.length - 1;
    let s = h & mask;
    while (this.slots[s] !== EMPTY_SLOT) s = (s + 1) & mask;
    this.slots[s] = e;
    const n = end - start;
    if (this.used + n > this.arena.length) {
      const arena = Buffer.allocUnsafe(Math.max(2 * this.arena.length, this.used + n));
      this.arena.copy(arena, 0, 0, this.used);
      this.arena = arena;
    }
    // a byte loop: a subarray to copy from is an object per new key, and keys are short
    const arena = this.arena;
    for (let i = 0, at = this.used; i < n; i++) arena[at + i] = buf[start + i]!;
    this.hashes[e] = h;
    this.keyAt[e] = this.used;
    this.keyLength[e] = n;
    this.used += n;
    this.values.push(value);
  }

  /**
   * Hands every key (decoded from UTF-8) and its value to `fn`, in insertion order, and empties
   * the map. `spaceTo`: each space byte of the keys becomes this byte first (flowlogs' TAB-joined
   * output keys), rewritten in the arena in one pass, since the keys go anyway: each key is then
   * one flat string, not pieces joined per key.
   */
  drain(fn: (key: string, value: V) => void, spaceTo?: number): void {
    // each loop in a function of its own that ends with it: code after a loop that V8 compiled
    // on the stack (OSR) has no type feedback yet, and reaching it deoptimized the loop, per map
    if (spaceTo !== undefined) replaceByte(this.arena, this.used, 32, spaceTo);
    try {
      this.forEachEntry(fn);
    } finally {
      this.clear(); // even if fn threw: the keys are rewritten, lookups would miss them
    }
  }

  private forEachEntry(fn: (key: string, value: V) => void): void {
    const { arena, keyAt, keyLength, values } = this;
    for (let e = 0; e < values.length; e++) fn(arena.toString('utf8', keyAt[e]!, keyAt[e]! + keyLength[e]!), values[e]!);
  }

  clear(): void {
    this.slots.fill(EMPTY_SLOT);
    this.values.length = 0;
    this.used = 0;
  }

  /** The entry of the key, or EMPTY_SLOT. */
  private find(buf: Uint8Array, start: number, end: number, h: number): number {
    const mask = this.slots.length - 1;
    const n = end - start;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]!;
      if (e === EMPTY_SLOT) return EMPTY_SLOT;
      if (this.hashes[e] !== h || this.keyLength[e] !== n) continue;
      const at = this.keyAt[e]!;
      let k = 0;
      while (k < n && this.arena[at + k] === buf[start + k]) k++;
      if (k === n) return e;
    }
  }

  /** Twice the slots (the load stays at most 1/2), entries rehashed from their kept hashes. */
  private grow(): void {
    const slots = new Int32Array(2 * this.slots.length).fill(EMPTY_SLOT);
    const mask = slots.length - 1;
    for (let e = 0; e < this.values.length; e++) {
      let s = this.hashes[e]! & mask;
      while (slots[s] !== EMPTY_SLOT) s = (s + 1) & mask;
      slots[s] = e;
    }
    this.slots = slots;
    const cap = slots.length / 2;
    const widen = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.hashes = widen(this.hashes);
    this.keyAt = widen(this.keyAt);
    this.keyLength = widen(this.keyLength);
  }
}
