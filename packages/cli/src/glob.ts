/**
 * Glob patterns in `mr fs` locations (`*`, `?`, `[..]`, `**`), the same for local paths, s3:// and
 * bs://: pure pattern handling, with matching by picomatch. Listing the store is locations.ts's job.
 */
import picomatch from 'picomatch';

/** Whether one path segment holds glob syntax (picomatch's own reading of it, not a guess of ours). */
export const isGlobSegment = (segment: string): boolean => picomatch.scan(segment).isGlob;

/** Whether a path (`a/b/*.txt`) holds glob syntax in any segment. */
export const hasGlob = (path: string): boolean => path.split('/').some(isGlobSegment);

/**
 * A pattern's segments cut where the glob starts: `base` is what can be listed (every segment
 * before the first with glob syntax) and `rest` the pattern to match below it (`a/b/*.txt` ->
 * base ['a', 'b'], rest '*.txt'). `depth` is how far below the base a match can lie: the number of
 * segments of `rest`, unbounded with `**` (the listing need not go deeper).
 */
export function splitGlob(segments: readonly string[]): { base: string[]; rest: string; depth: number } {
  const at = segments.findIndex(isGlobSegment);
  if (at < 0) return { base: [...segments], rest: '', depth: 0 };
  const rest = segments.slice(at);
  return { base: segments.slice(0, at), rest: rest.join('/'), depth: rest.some((s) => s.includes('**')) ? Infinity : rest.length };
}

/**
 * A matcher of relative paths (`/`-separated) for the part of a pattern below its base. `*` and `?`
 * stay within a segment, `**` spans any number of them; names starting with `.` match too, as in
 * `hdfs dfs` (a shell would skip them). `posix` makes `[!a]` the negated class a shell user means
 * (picomatch otherwise also reads it as the literal `[!a]` or one of `!`, `a`), beside `[^a]`.
 */
export function globMatcher(rest: string): (relPath: string) => boolean {
  return picomatch(rest, { dot: true, posix: true });
}
