import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An output directory's files: name -> content. */
export function readOutput(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) out.set(name, readFileSync(join(dir, name), 'utf8'));
  return out;
}

/** Parses `key<TAB>value` lines of each part; checks nothing. */
export function partLines(content: string): [string, string][] {
  return content
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const i = l.lastIndexOf('\t');
      return [l.slice(0, i), l.slice(i + 1)];
    });
}

/** The independent reference for wordcount: a plain regex over every file, a Map of counts. */
export function straightforwardWordCount(files: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\p{L}+/gu)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  }
  return counts;
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('_') && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
