import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { MasterClient } from '../../packages/shared/src/gen/mr/v1/cluster.js';
import { runOracle } from '../oracle.js';
import { filesUnder, readOutput } from './helpers/output.js';
import { exited, GUTENBERG, mr, readJsonFile, reapAll, startMr, tempDir, waitFor } from './helpers/procs.js';

interface NodeJson { id: string; role: string; address: string; state: string; slots: number; runningTasks: number; lastHeartbeatMs: number }

describe('a cluster of separate processes: mr master, mr worker --role core|task (issue 2 acceptance)', () => {
  const dir = tempDir('mr-cluster-');
  const token = 'test-token-' + process.pid;
  const env = { MR_CLUSTER_TOKEN: token };
  const masterLog = join(dir, 'master.log');
  let master = '';
  const HEARTBEAT_TIMEOUT_MS = 2_000;

  beforeAll(async () => {
    startMr(['master', '--port', '0', '--http-port', '0', '--data', join(dir, 'master'), '--heartbeat-timeout', `${HEARTBEAT_TIMEOUT_MS}ms`], { env, log: masterLog });
    master = (await waitFor('master.json', 20_000, () => readJsonFile<{ address: string }>(join(dir, 'master', 'master.json'))))!.address;
    startMr(['worker', '--master', master, '--role', 'core', '--slots', '2', '--data', join(dir, 'core'), '--id', 'core-1'], { env, log: join(dir, 'core.log') });
    startMr(['worker', '--master', master, '--role', 'task', '--slots', '2', '--id', 'task-1'], { env, log: join(dir, 'task.log') });
    await waitFor('two ALIVE workers', 20_000, async () => {
      const r = await mr(['nodes', '--master', master, '--json'], { env });
      const nodes = JSON.parse(r.stdout) as NodeJson[];
      return nodes.filter((n) => n.state === 'ALIVE').length === 2 ? true : undefined;
    });
  });
  afterAll(reapAll);

  it('mr nodes --json lists both workers with the contract fields', async () => {
    const r = await mr(['nodes', '--master', master, '--json'], { env });
    expect(r.code).toBe(0);
    const nodes = JSON.parse(r.stdout) as NodeJson[];
    expect(nodes.map((n) => [n.id, n.role, n.state, n.slots])).toEqual([['core-1', 'core', 'ALIVE', 2], ['task-1', 'task', 'ALIVE', 2]]);
    for (const n of nodes) {
      // core workers add their disk (issue 15): free bytes, the --reserved-space floor, full or not
      const disk = n.role === 'core' ? ['disk'] : [];
      expect(Object.keys(n).sort()).toEqual(['address', ...disk, 'id', 'lastHeartbeatMs', 'role', 'runningTasks', 'slots', 'state']);
      expect(n.address).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect((nodes[0] as NodeJson & { disk: object }).disk).toEqual({ freeBytes: expect.any(Number), reservedBytes: expect.any(Number), full: false });
  });

  it('/metrics is Prometheus text (parsed by a parser library) and its counters move as a job runs', async () => {
    const info = readJsonFile<{ httpAddress: string }>(join(dir, 'master', 'master.json'))!;
    const scrape = async () => {
      const res = await fetch(`http://${info.httpAddress}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusTextFormat(await res.text());
      const value = (name: string, labels: Record<string, string> = {}) => {
        const f = families.find((x) => x.name === name);
        const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
        return Number(m?.value ?? m?.count ?? NaN);
      };
      return { families, value };
    };
    const before = await scrape();
    expect(before.value('mr_nodes', { role: 'core', state: 'ALIVE' })).toBe(1);
    expect(before.value('mr_nodes', { role: 'task', state: 'ALIVE' })).toBe(1);
    const r = await mr(['submit', '--master', master, 'wordcount', '--input', GUTENBERG, '--output', join(dir, 'wc-metrics'), '--reducers', '2', '--wait', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const after = await scrape();
    const done = (m: Awaited<ReturnType<typeof scrape>>) => (m.value('mr_attempts_total', { kind: 'map', outcome: 'SUCCEEDED' }) || 0) + (m.value('mr_attempts_total', { kind: 'reduce', outcome: 'SUCCEEDED' }) || 0);
    expect(done(after) - done(before)).toBeGreaterThanOrEqual(8 + 2); // 8 books, 2 reducers
    expect(after.value('mr_input_bytes_total') - (before.value('mr_input_bytes_total') || 0)).toBeGreaterThan(3_000_000);
    expect(after.value('mr_jobs', { state: 'SUCCEEDED' })).toBeGreaterThan(before.value('mr_jobs', { state: 'SUCCEEDED' }) || 0);
    expect(after.families.find((f) => f.name === 'mr_attempt_duration_seconds')?.type).toBe('HISTOGRAM');
  });

  it('submit --wait --json runs wordcount to SUCCEEDED with the oracle output; status answers for the job', async () => {
    const out = join(dir, 'wc');
    const r = await mr(['submit', '--master', master, 'wordcount', '--input', GUTENBERG, '--output', out, '--reducers', '3', '--wait', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { id: string; state: string };
    expect(s.state).toBe('SUCCEEDED');
    // the id went to stderr as soon as the job was accepted; stdout is still the one document
    expect(r.stderr).toBe(`job ${s.id} submitted; waiting for it to end (Ctrl-C stops waiting, not the job)\n`);
    expect(readOutput(out)).toEqual(runOracle(wordcount, filesUnder(GUTENBERG), 3));
    const st = await mr(['status', '--master', master, s.id, '--json'], { env });
    expect(JSON.parse(st.stdout)).toMatchObject({ id: s.id, state: 'SUCCEEDED' });
  });

  it('submit without --wait prints the new job at once; the status page lists it', async () => {
    const out = join(dir, 'wc-nowait');
    const r = await mr(['submit', '--master', master, 'wordcount', '--input', join(GUTENBERG, 'pg-grimm.txt'), '--output', out, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { id: string; state: string };
    expect(['RUNNING', 'PENDING', 'SUCCEEDED']).toContain(s.state);
    const info = readJsonFile<{ httpAddress: string }>(join(dir, 'master', 'master.json'))!;
    const page = await fetch(`http://${info.httpAddress}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(s.id);
    await waitFor('the job to finish', 30_000, async () => {
      const st = JSON.parse((await mr(['status', '--master', master, s.id, '--json'], { env })).stdout) as { state: string };
      return st.state === 'SUCCEEDED' ? true : undefined;
    });
  });

  it('submit --wait without --json, stderr not a TTY: one plain line per phase, the summary on stdout', async () => {
    const r = await mr(['submit', '--master', master, 'wordcount', '--input', join(GUTENBERG, 'pg-grimm.txt'), '--output', join(dir, 'wc-lines'), '--reducers', '2', '--wait'], { env });
    expect(r.code, r.stderr).toBe(0);
    const id = /^job (job-\S+) \(wordcount\) SUCCEEDED in /.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stderr).toMatch(new RegExp(`^job ${id} submitted; waiting for it to end \\(Ctrl-C stops waiting, not the job\\)\nmap: 1/1 tasks in \\d+\\.\\d s\nreduce: 2/2 tasks in \\d+\\.\\d s\n$`));
  });

  it('mr status JOB is for people without --json (input, output, params, counters); the list is newest first; killing an ended job: exit 1', async () => {
    const out = join(dir, 'grep-status');
    const book = join(GUTENBERG, 'pg-grimm.txt');
    const r = await mr(['submit', '--master', master, 'grep', '--input', book, '--output', out, '--param', 'pattern=Gretel', '--reducers', '2', '--wait', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const { id } = JSON.parse(r.stdout) as { id: string };
    const st = await mr(['status', '--master', master, id], { env });
    expect(st.code, st.stderr).toBe(0);
    const lines = st.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^job ${id} \\(grep\\) SUCCEEDED in \\d+\\.\\d\\d s$`));
    expect(lines).toContain(`  input:    ${book}`);
    expect(lines).toContain(`  output:   ${out} (2 reducers)`);
    expect(lines).toContain('  params:   pattern=Gretel');
    expect(lines).toContain('  progress: map 1/1, reduce 2/2 (tasks done/all)');
    expect(lines).toContain('  counters:');
    expect(lines.find((l) => /^ {4}outputRecords +\d/.test(l))).toBeDefined();
    expect(lines.find((l) => /^ {2}(started|finished): +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/.test(l))).toBeDefined();

    // newest first, like the web UI: this job heads the list
    const list = await mr(['status', '--master', master], { env });
    expect(list.stdout.split('\n')[1]).toMatch(new RegExp(`^${id} `));

    const kill = await mr(['job', 'kill', id, '--master', master], { env });
    expect([kill.code, kill.stderr]).toEqual([1, `mr: job ${id} already SUCCEEDED; nothing to kill\n`]);
  });

  it("an output inside the master's --data dir, directly or through a symlink, is refused at submit: exit 1, one line, nothing written", async () => {
    const data = join(dir, 'master');
    symlinkSync(data, join(dir, 'looks-harmless'));
    const jobs = async () => (JSON.parse((await mr(['status', '--master', master, '--json'], { env })).stdout) as unknown[]).length;
    const before = await jobs();
    for (const [output, shown] of [[join(data, 'wc'), join(data, 'wc')], [join(dir, 'looks-harmless', 'wc'), join(dir, 'looks-harmless', 'wc')], [`${dir}/x/../master/wc`, join(data, 'wc')]] as const) {
      const r = await mr(['submit', '--master', master, 'wordcount', '--input', join(GUTENBERG, 'pg-grimm.txt'), '--output', output, '--wait'], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr.startsWith(`mr: output ${shown} is inside the master's data dir ${data}`), r.stderr).toBe(true);
    }
    expect(existsSync(join(data, 'wc'))).toBe(false);
    expect(readdirSync(data).filter((n) => n.startsWith('part-') || n === '_SUCCESS' || n === '_temporary')).toEqual([]);
    expect(await jobs()).toBe(before);
  });

  it('a call without the cluster token is rejected with UNAUTHENTICATED, and the master logs why', async () => {
    const client = new MasterClient(master, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError>((resolve) => client.listNodes({}, (e) => resolve(e!)));
    client.close();
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    const r = await mr(['nodes', '--master', master], { env: { MR_CLUSTER_TOKEN: 'wrong' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mr: .*cluster token/);
    expect(readFileSync(masterLog, 'utf8')).toMatch(/rejected call: missing or wrong cluster token/);
  });

  it('a worker started with a wrong token is refused: one-line error, exit 1, the master logs why', async () => {
    const log = join(dir, 'bad-worker.log');
    const w = startMr(['worker', '--master', master, '--role', 'task', '--id', 'intruder'], { env: { MR_CLUSTER_TOKEN: 'not-the-token' }, log });
    expect(await exited(w, 20_000)).toBe(1);
    const stderr = readFileSync(log, 'utf8').trim().split('\n');
    expect(stderr[stderr.length - 1]).toMatch(/^mr: master .* refused this worker: wrong cluster token/);
    expect(readFileSync(masterLog, 'utf8')).toMatch(/"method":"session".*rejected call: missing or wrong cluster token/);
    const nodes = JSON.parse((await mr(['nodes', '--master', master, '--json'], { env })).stdout) as NodeJson[];
    expect(nodes.map((n) => n.id)).not.toContain('intruder');
  });

  it('kill -9 of the task worker: mr nodes shows it DEAD within the heartbeat timeout', async () => {
    const nodes = JSON.parse((await mr(['nodes', '--master', master, '--json'], { env })).stdout) as NodeJson[];
    expect(nodes.find((n) => n.id === 'task-1')?.state).toBe('ALIVE');
    const pid = Number(readFileSync(join(dir, 'task.log'), 'utf8').match(/"pid":(\d+).*"msg":"worker started"/)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor('task-1 DEAD', HEARTBEAT_TIMEOUT_MS + 2_000, async () => {
      const list = JSON.parse((await mr(['nodes', '--master', master, '--json'], { env })).stdout) as NodeJson[];
      return list.find((n) => n.id === 'task-1')?.state === 'DEAD' ? true : undefined;
    });
    expect(Date.now() - killedAt).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 2_000);
  });

  it('a worker that stops heartbeating (SIGSTOP, connection still open) is DEAD after the timeout, ALIVE again on SIGCONT', async () => {
    const log = join(dir, 'frozen.log');
    const w = startMr(['worker', '--master', master, '--role', 'task', '--id', 'frozen'], { env, log });
    const state = async () => (JSON.parse((await mr(['nodes', '--master', master, '--json'], { env })).stdout) as NodeJson[]).find((n) => n.id === 'frozen')?.state;
    await waitFor('frozen ALIVE', 20_000, async () => ((await state()) === 'ALIVE' ? true : undefined));
    process.kill(w.pid!, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await waitFor('frozen DEAD', HEARTBEAT_TIMEOUT_MS + 3_000, async () => ((await state()) === 'DEAD' ? true : undefined));
      // not before the timeout: only missed heartbeats made it DEAD
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - 1_000);
    } finally {
      process.kill(w.pid!, 'SIGCONT');
    }
    await waitFor('frozen ALIVE again', 10_000, async () => ((await state()) === 'ALIVE' ? true : undefined));
  });
});
