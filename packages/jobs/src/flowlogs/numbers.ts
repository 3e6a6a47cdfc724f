/**
 * Rule 4's numbers are digit strings of any length. Comparing them as strings (after leading
 * zeros) is exact at every size and allocates nothing, so where/having/min/max/top all use it.
 */

/** True when `s` is one or more ASCII digits and nothing else (`1e3`, `0x1F`, `1.5`, `-1` are not). */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A digit string without its leading zeros (`022` -> `22`, `000` -> `0`): one spelling per value. */
export function normDigits(s: string): string {
  if (s.charCodeAt(0) !== 48 || s.length === 1) return s;
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

/** Compares two digit strings by value (negative, 0, positive), leading zeros ignored. */
export function cmpDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const byLength = a.length - i - (b.length - j);
  if (byLength !== 0) return byLength;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return 0;
}
