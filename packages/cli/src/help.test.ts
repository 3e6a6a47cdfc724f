import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { workerCommand } from './commands/daemons.js';
import { buildProgram } from './program.js';

/** Every command and subcommand of the program, with its full name (`mr fs put`). */
function commands(cmd: Command, prefix = 'mr'): { name: string; cmd: Command }[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix} ${c.name()}`;
    return [{ name, cmd: c }, ...commands(c, name)];
  });
}

/** What `mr ARGS` prints on stdout, and its exit code. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Commands that call no master: the embedded cluster, and the master itself. */
const NO_MASTER = new Set(['mr run', 'mr master']);

describe('--help of every command (issue 14, item 11)', () => {
  const program = buildProgram({ out: () => {}, err: () => {} });
  const all = commands(program);

  it('walks every command and subcommand: defaults shown and never {}, --master wherever a master is called, S3 named where it works', () => {
    expect(all.map((c) => c.name)).toEqual(expect.arrayContaining(['mr job kill', 'mr fs put', 'mr nodes drain', 'mr gen records', 'mr validate sort']));
    const wrong: string[] = [];
    for (const { name, cmd } of all) {
      // commander wraps descriptions to the terminal's width
      const help = cmd.helpInformation().replace(/\s+/g, ' ');
      if (/\(default: (\{\}|\[\])\)/.test(help)) wrong.push(`${name}: an empty default shown`);
      // an option with a value either is required, or its help says what it is without one
      for (const o of cmd.options) {
        if (o.hidden || o.mandatory || !(o.required || o.optional)) continue;
        const shown = o.defaultValue !== undefined ? o.defaultValueDescription ?? JSON.stringify(o.defaultValue) : undefined;
        if (shown !== undefined ? !help.includes(`default: ${shown}`) : !/\bdefault\b/.test(o.description)) wrong.push(`${name} ${o.long}: no default shown`);
      }
      if (!NO_MASTER.has(name) && !/--master <HOST:PORT> \S/.test(help)) wrong.push(`${name}: calls a master, shows no --master`);
      if (/\(bs:\/\/ or local\)|\(bs:\/\/, local\)/.test(help)) wrong.push(`${name}: says bs:// or local, but s3:// works`);
      if (help.includes('or the local master')) wrong.push(`${name}: 'the local master' unexplained`);
    }
    expect(wrong).toEqual([]);
  });

  it('--split-size shows its default, --param none', async () => {
    for (const cmd of ['run', 'submit']) {
      const help = (await run([cmd, '--help'])).out;
      expect(help).toMatch(/--split-size <SIZE>[\s\S]*\(default: 64m\)/);
      expect(help).not.toContain('{}');
    }
  });

  it('every command that talks to a master shows --master, subcommands included (mr job kill --help)', async () => {
    const kill = await run(['job', 'kill', '--help']);
    expect(kill.code).toBe(0);
    // commander wraps descriptions to the terminal's width
    expect(kill.out.replace(/\s+/g, ' ')).toMatch(/Global Options: --master <HOST:PORT> the master \(default: MR_MASTER, else the master started on this machine with the default --data, found by its master\.json\)/);
    // --version only works before a command: not offered after one
    expect(kill.out).not.toContain('--version');
  });

  it('mr help A B, mr A help B and mr A B --help show the same page, at any depth', async () => {
    const page = (await run(['fs', 'put', '--help'])).out;
    expect(page).toMatch(/^Usage: mr fs put /);
    for (const args of [['help', 'fs', 'put'], ['fs', 'help', 'put']]) {
      const r = await run(args);
      expect([r.code, r.out], args.join(' ')).toEqual([0, page]);
    }
    expect((await run(['help', 'job', 'kill'])).out).toBe((await run(['job', 'kill', '--help'])).out);
    expect((await run(['help', 'fs'])).out).toBe((await run(['fs', '--help'])).out);
    expect((await run(['nodes', 'help', 'drain'])).out).toBe((await run(['nodes', 'drain', '--help'])).out);
    expect((await run(['help'])).out).toBe((await run(['--help'])).out);
    // a command that does not exist is the usual usage error
    const unknown = await run(['help', 'nosuch']);
    expect([unknown.code, unknown.err]).toEqual([2, "mr: unknown command 'nosuch'"]);
  });

  it('without --master or MR_MASTER, the error says which local master was looked for, and where', async () => {
    const saved = { home: process.env.MR_HOME, master: process.env.MR_MASTER };
    const home = mkdtempSync(join(tmpdir(), 'mr-home-'));
    try {
      process.env.MR_HOME = home;
      delete process.env.MR_MASTER;
      const r = await run(['status']);
      expect([r.code, r.err]).toEqual([2, `mr: no master given: use --master HOST:PORT or set MR_MASTER (no master started on this machine with the default --data: no ${join(home, 'master', 'master.json')})`]);
    } finally {
      for (const [k, v] of [['MR_HOME', saved.home], ['MR_MASTER', saved.master]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('an Environment section: every variable under mr --help, the ones it reads under each command', async () => {
    const top = (await run(['--help'])).out;
    for (const v of ['MR_MASTER', 'MR_CLUSTER_TOKEN', 'MR_TLS_CERT', 'MR_TLS_KEY', 'MR_TLS_CA', 'MR_LOG_LEVEL', 'MR_HOME', 'AWS_*', 'AWS_ENDPOINT_URL', 'GRPC_VERBOSITY']) {
      expect(top).toMatch(new RegExp(`\\nEnvironment:\\n(.*\\n)*  ${v.replace('*', '\\*')} +\\S`));
    }
    for (const { name, cmd } of all) {
      const help = cmd.helpInformation() + '';
      const page = (await run([...name.split(' ').slice(1), '--help'])).out;
      expect(page, name).toContain(help.trimEnd());
      expect(page, name).toContain('\nEnvironment:\n');
      if (!NO_MASTER.has(name)) expect(page, name).toMatch(/\n {2}MR_MASTER +/);
      if (/^mr (run|submit|fs|gen|validate|master|worker)\b/.test(name)) expect(page, `${name} reads S3`).toMatch(/\n {2}AWS_ENDPOINT_URL +/);
    }
  });

  it('mr worker takes its master from MR_MASTER when --master is not given, and still needs one', () => {
    const parse = (env: string | undefined) => {
      const before = process.env.MR_MASTER;
      if (env === undefined) delete process.env.MR_MASTER;
      else process.env.MR_MASTER = env;
      try {
        const worker = workerCommand().exitOverride().configureOutput({ writeErr: () => {} }).action(() => {});
        worker.parse(['--role', 'task'], { from: 'user' });
        return (worker.opts() as { master?: string }).master;
      } finally {
        if (before === undefined) delete process.env.MR_MASTER;
        else process.env.MR_MASTER = before;
      }
    };
    expect(parse('10.0.0.5:7070')).toBe('10.0.0.5:7070');
    expect(() => parse(undefined)).toThrow(/required option '--master <HOST:PORT>' not specified/);
  });
});
