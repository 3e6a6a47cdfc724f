/**
 * docs/contract.md's command reference and the program agree: every command and every flag that
 * `--help` shows is documented there, under that command, and the reference names no command or
 * flag that the program does not have. The program is walked as commander holds it (what --help
 * prints), the doc is read as a user reads it: a `### mr COMMAND ...` heading per command, its
 * flags written as `--flag` in its section.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

const CONTRACT = new URL('../../../docs/contract.md', import.meta.url);

/** Flags every command has without declaring them. */
const IMPLICIT = new Set(['--help', '--debug']);

interface CommandDoc {
  path: string;
  flags: Set<string>;
}

/** Every command of the program by its path (`fs put`), with its flags and those of the groups above it. */
export function programCommands(program: Command): CommandDoc[] {
  const out: CommandDoc[] = [];
  const walk = (cmd: Command, path: string[], inherited: string[]) => {
    for (const c of cmd.commands) {
      if (c.name() === 'help') continue; // commander's own
      const own = c.options.filter((o) => !o.hidden).map((o) => o.long!).filter(Boolean); // what --help shows
      const flags = [...inherited, ...own];
      out.push({ path: [...path, c.name()].join(' '), flags: new Set(flags) });
      walk(c, [...path, c.name()], flags);
    }
  };
  walk(program, [], []);
  return out;
}

/** A flag as the reference documents it: in backticks, first in them (`--block-size SIZE`). */
const FLAG = /`(--[a-z][a-z0-9-]*)/g;

/**
 * The reference's sections: `### mr PATH ARGS...` headings and the flags written under each. A
 * heading that is not a command (`### Job flags`) is a set of flags shared by the commands whose
 * section links to it (`[job flag](#job-flags)`).
 */
export function documentedCommands(markdown: string, commandPaths: string[]): CommandDoc[] {
  const start = markdown.indexOf('\n## Command reference');
  if (start < 0) throw new Error('docs/contract.md has no "## Command reference" section');
  const rest = markdown.slice(start + 1);
  const end = rest.indexOf('\n## ', 3);
  const section = end < 0 ? rest : rest.slice(0, end);
  const known = new Set(commandPaths);
  const flagsOf = (text: string) => [...text.matchAll(FLAG)].map((m) => m[1]!);
  const shared = new Map<string, string[]>();
  const parts = section.split(/\n### /).slice(1).map((part) => {
    const heading = part.slice(0, part.indexOf('\n')).replaceAll('`', '').trim();
    return { heading, body: part.slice(part.indexOf('\n')) };
  });
  for (const { heading, body } of parts) {
    if (!heading.startsWith('mr ')) shared.set(heading.toLowerCase().replaceAll(' ', '-'), flagsOf(body));
  }
  return parts.filter((p) => p.heading.startsWith('mr ')).map(({ heading, body }) => {
    const words = heading.slice(3).split(/\s+/);
    // the longest run of leading words that is a command: `mr fs put LOCAL URI` is `fs put`
    let path = '';
    for (let i = words.length; i > 0 && !path; i--) if (known.has(words.slice(0, i).join(' '))) path = words.slice(0, i).join(' ');
    const linked = [...body.matchAll(/\]\(#([a-z0-9-]+)\)/g)].flatMap((m) => shared.get(m[1]!) ?? []);
    return { path: path || words.join(' '), flags: new Set([...flagsOf(body), ...linked]) };
  });
}

describe('docs/contract.md command reference', () => {
  const program = buildProgram({ out: () => {}, err: () => {} });
  const commands = programCommands(program);
  const docs = documentedCommands(readFileSync(CONTRACT, 'utf8'), commands.map((c) => c.path));
  const docOf = new Map(docs.map((d) => [d.path, d]));

  it('documents every command', () => {
    expect(commands.map((c) => c.path).filter((p) => !docOf.has(p))).toEqual([]);
  });

  it('names no command the program lacks', () => {
    const known = new Set(commands.map((c) => c.path));
    expect(docs.map((d) => d.path).filter((p) => !known.has(p))).toEqual([]);
  });

  it('documents every flag under its command', () => {
    // a flag of a group (`mr fs --master`) may be documented once, in the group's section
    const documented = (path: string, flag: string): boolean =>
      docOf.get(path)?.flags.has(flag) === true || (path.includes(' ') && documented(path.slice(0, path.lastIndexOf(' ')), flag));
    const missing = commands.flatMap((c) => [...c.flags].filter((f) => !documented(c.path, f)).map((f) => `mr ${c.path} ${f}`));
    expect(missing).toEqual([]);
  });

  it('documents no flag a command lacks', () => {
    const global = new Set([...IMPLICIT, ...program.options.map((o) => o.long!)]);
    const extra = docs.flatMap((d) => {
      const cmd = commands.find((c) => c.path === d.path);
      return cmd ? [...d.flags].filter((f) => !cmd.flags.has(f) && !global.has(f)).map((f) => `mr ${d.path} ${f}`) : [];
    });
    expect(extra).toEqual([]);
  });

  it('the check bites: a flag or a command missing from the doc is found', () => {
    const md = [
      '', '## Command reference', '### `mr fs put LOCAL URI`', '`--block-size SIZE`, `--bogus`; see `mr fs get --overwrite`',
      '### `mr run JOB`', 'every [job flag](#job-flags)', '### Job flags', '| `--reducers N` | 1 |', '### `mr nosuch`', '## Next', '`--later`',
    ].join('\n');
    const d = documentedCommands(md, ['fs', 'fs put', 'run']);
    expect(d.map((x) => x.path)).toEqual(['fs put', 'run', 'nosuch']);
    expect([...d[0]!.flags]).toEqual(['--block-size', '--bogus']);
    expect([...d[1]!.flags]).toEqual(['--reducers']);
  });
});
