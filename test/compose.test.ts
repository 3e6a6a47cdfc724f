import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../packages/cli/src/program.js';

// No Docker engine runs where the tests run, so the compose file is checked as data: what issue 5
// asks of it, and that every service's command is one the mr CLI accepts.
describe('docker-compose.yml and Dockerfile', () => {
  const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string; volumes?: string[]; deploy?: { replicas?: number }; profiles?: string[]; env_file?: string[]; healthcheck?: unknown; ports?: string[] }>;
  };
  const s = compose.services;

  it('has MinIO with a health check, a one-shot bucket service, a master, two core workers with volumes, task workers without', () => {
    expect(s.minio?.healthcheck).toBeDefined();
    expect(s['minio-setup']).toBeDefined();
    expect(s.master?.command).toMatch(/^master --bind 0\.0\.0\.0 /);
    expect(s.master?.ports).toContain('8088:8088');
    for (const core of ['core-1', 'core-2']) {
      expect(s[core]?.command).toMatch(/--role core/);
      expect(s[core]?.volumes?.[0]).toMatch(new RegExp(`^${core}-data:/data$`));
    }
    expect(s.task?.command).toMatch(/--role task/);
    expect(s.task?.volumes).toBeUndefined();
    expect(s.task?.deploy?.replicas).toBe(2);
    expect(s.submit?.profiles).toEqual(['demo']);
    for (const name of ['master', 'core-1', 'core-2', 'task', 'submit']) expect(s[name]?.env_file).toEqual(['cluster.env']);
    expect(readFileSync(new URL('../cluster.env', import.meta.url), 'utf8')).toMatch(/^MR_CLUSTER_TOKEN=/m);
  });

  it('every worker and the submitter dial the master by its service name and gRPC port', () => {
    const masterPort = /--port (\d+)/.exec(s.master!.command!)?.[1];
    expect(masterPort).toBeDefined();
    expect(s.master!.command).toMatch(/--advertise master\b/);
    for (const name of ['core-1', 'core-2', 'task', 'submit']) expect(s[name]!.command).toContain(`--master master:${masterPort}`);
    // S3 is the MinIO service, on the port it listens on
    expect(readFileSync(new URL('../cluster.env', import.meta.url), 'utf8')).toMatch(/^AWS_ENDPOINT_URL=http:\/\/minio:9000$/m);
  });

  it.each(['master', 'core-1', 'core-2', 'task', 'submit'])('the %s command parses with the mr CLI', (name) => {
    const program = buildProgram({ out: () => {}, err: () => {} });
    const argv = s[name]!.command!.split(/\s+/);
    const cmd = program.commands.find((c) => c.name() === argv[0])!;
    expect(cmd, argv[0]).toBeDefined();
    // parse options only (no action): unknown flags or bad values throw
    cmd.action(() => {});
    expect(() => cmd.parse(argv.slice(1), { from: 'user' })).not.toThrow();
  });

  it('the image is multi-stage on node:20-slim, runs as a non-root user, with mr as the entrypoint', () => {
    const df = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    expect(df.match(/^FROM node:20-slim/gm)).toHaveLength(2);
    expect(df).toMatch(/^USER mr$/m);
    expect(df).toMatch(/^ENTRYPOINT \["node", "\/app\/packages\/cli\/bin\/mr\.js"\]$/m);
  });
});
