/**
 * Counts in words, the same everywhere the CLI and the web UI print them: `1 task`, `2 tasks`,
 * `0 records`, never `1 tasks`.
 */

/** 1234567 -> "1,234,567": by hand, since toLocaleString's first call loads ICU data (~20 ms of every `mr run`). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export interface PluralOptions {
  /** The plural when it is not the noun plus "s" (`entry`: `entries`). */
  plural?: string;
  /** Thousands separators in the count (default true); false where scripts parse the number. */
  grouped?: boolean;
}

/** `n noun`, the noun agreeing with n: `1 task`, `0 tasks`, `1,024 records`. */
export function plural(n: number, noun: string, o: PluralOptions = {}): string {
  const count = o.grouped === false ? String(n) : thousands(n);
  return `${count} ${n === 1 ? noun : (o.plural ?? `${noun}s`)}`;
}
