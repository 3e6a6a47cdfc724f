/**
 * Mutual TLS on every gRPC connection (contract.md `--tls-*`, README "Security"): a cluster whose
 * master, core and task worker all use certificates of one CA runs a job and serves the block
 * store; a worker without a certificate of that CA, or without TLS, is refused at the handshake and
 * says so in its log; a CLI without TLS settings gets one line and exit 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wordcount from '../../packages/jobs/src/wordcount.js';
import { runOracle } from '../oracle.js';
import { makeTestCerts, tlsEnv } from './helpers/certs.js';
import { TestCluster } from './helpers/cluster.js';
import { filesUnder, readOutput } from './helpers/output.js';
import { GUTENBERG, mr, reapAll, tempDir, waitFor } from './helpers/procs.js';

/** contract.md: one line on stderr naming what was wrong, no stack trace. */
function expectOneLineError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mr: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const NO_TLS_ENV = { MR_TLS_CERT: '', MR_TLS_KEY: '', MR_TLS_CA: '' };

describe('TLS: a cluster with mutual TLS on every gRPC connection', () => {
  const certs = makeTestCerts(tempDir('mr-tls-certs-'));
  const flags = (pair = certs.node, ca = certs.ca) => ['--tls-cert', pair.cert, '--tls-key', pair.key, '--tls-ca', ca];
  // the master by flags; the task worker and the CLI by MR_TLS_* (cluster.env); the core worker by flags only
  const c = new TestCluster(flags());
  Object.assign(c.env, tlsEnv(certs.node, certs.ca));

  beforeAll(async () => {
    await c.startMaster();
    c.startWorker('core-1', { role: 'core', slots: 2, args: flags(), env: NO_TLS_ENV });
    c.startWorker('task-1', { role: 'task', slots: 2 });
    await c.waitAlive(['core-1', 'task-1']);
  });
  afterAll(reapAll);

  it('runs wordcount (mr submit --wait with MR_TLS_*) to the oracle output: master, shuffle and CLI all over TLS', async () => {
    const out = join(c.dir, 'wc');
    const r = await c.mr(['submit', 'wordcount', '--input', GUTENBERG, '--output', out, '--reducers', '2', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { state: string }).state).toBe('SUCCEEDED');
    expect(readOutput(out)).toEqual(runOracle(wordcount, filesUnder(GUTENBERG), 2));
  });

  it('the block store over TLS: mr fs put and cat go to the core worker with the CLI\'s certificate', async () => {
    const local = join(c.dir, 'hello.txt');
    writeFileSync(local, 'hello over tls\n');
    const put = await c.mr(['fs', 'put', local, 'bs://tls/hello.txt']);
    expect(put.code, put.stderr).toBe(0);
    const cat = await c.mr(['fs', 'cat', 'bs://tls/hello.txt']);
    expect([cat.code, cat.stdout], cat.stderr).toEqual([0, 'hello over tls\n']);
  });

  it('refuses a worker whose certificate another CA signed, a worker that trusts another CA, and a plaintext worker: none joins, each logs why', async () => {
    const foreign = tlsEnv(certs.foreign, certs.ca); // presents a foreign certificate: the master refuses it
    const alien = tlsEnv(certs.foreign, certs.foreignCa); // trusts only the foreign CA: it refuses the master
    c.startWorker('rogue-1', { role: 'task', env: foreign });
    c.startWorker('alien-1', { role: 'task', env: alien });
    c.startWorker('plain-1', { role: 'task', env: NO_TLS_ENV });
    const log = (id: string) => {
      try {
        return readFileSync(join(c.dir, `${id}.log`), 'utf8');
      } catch {
        return '';
      }
    };
    const expected: Record<string, RegExp> = {
      'rogue-1': new RegExp(`TLS handshake with master ${c.master} failed: it closed the connection during the handshake: it refused our certificate`),
      'alien-1': new RegExp(`TLS handshake with master ${c.master} failed: its certificate is not signed by the cluster CA`),
      'plain-1': new RegExp(`cannot connect to master ${c.master}: it closed the connection at setup: it probably requires TLS`),
    };
    for (const [id, pattern] of Object.entries(expected)) {
      await waitFor(`${id} to log its TLS error`, 20_000, () => (pattern.test(log(id)) ? true : undefined));
      // one line: the reason is in the log record's message, not a stack
      const line = log(id).split('\n').find((l) => pattern.test(l))!;
      expect((JSON.parse(line) as { level: number }).level).toBe(50);
    }
    // they keep retrying (documented): still running, and still not members after more attempts
    await new Promise((r) => setTimeout(r, 2_500));
    for (const id of Object.keys(expected)) expect(c.workers.get(id)!.exitCode, `${id} exited`).toBeNull();
    const nodes = await c.nodes();
    expect(nodes.map((n) => n.id).sort()).toEqual(['core-1', 'task-1']);
    for (const id of Object.keys(expected)) expect(log(id)).not.toMatch(/registered with master/);
  });

  it('a CLI command without TLS settings: one line, exit 1', async () => {
    const r = await mr(['nodes', '--master', c.master, '--json'], { env: { MR_CLUSTER_TOKEN: c.env.MR_CLUSTER_TOKEN, ...NO_TLS_ENV }, timeoutMs: 30_000 });
    expectOneLineError(r, 1, new RegExp(`^mr: cannot reach the master at ${c.master}: it closed the connection at setup: it probably requires TLS \\(set MR_TLS_CERT, MR_TLS_KEY and MR_TLS_CA`));
    expect(r.stdout).toBe('');
  });

  it('a CLI command with a certificate of another CA: one line, exit 1', async () => {
    const r = await mr(['status', '--master', c.master, '--json'], { env: { MR_CLUSTER_TOKEN: c.env.MR_CLUSTER_TOKEN, ...tlsEnv(certs.foreign, certs.foreignCa) }, timeoutMs: 30_000 });
    expectOneLineError(r, 1, new RegExp(`^mr: TLS handshake with the master at ${c.master} failed: its certificate is not signed by the cluster CA`));
  });

  it('the token is still required on top of TLS', async () => {
    const r = await mr(['nodes', '--master', c.master], { env: { ...c.env, MR_CLUSTER_TOKEN: 'wrong-token' }, timeoutMs: 30_000 });
    expectOneLineError(r, 1, /refused the cluster token/);
  });
});

describe('TLS settings on the command line', () => {
  afterAll(reapAll);
  const certs = makeTestCerts(tempDir('mr-tls-certs-'));

  it('a partial set (flags or MR_TLS_*) is a usage error: one line, exit 2, before anything starts', async () => {
    const data = tempDir('mr-tls-master-');
    const master = await mr(['master', '--port', '0', '--http-port', '0', '--data', data, '--tls-cert', certs.node.cert, '--tls-key', certs.node.key], { env: NO_TLS_ENV, timeoutMs: 30_000 });
    expectOneLineError(master, 2, /TLS needs --tls-cert, --tls-key and --tls-ca .* together: --tls-cert, --tls-key given, --tls-ca\/MR_TLS_CA missing/);
    const worker = await mr(['worker', '--master', '127.0.0.1:1', '--role', 'task'], { env: { MR_CLUSTER_TOKEN: 't', ...NO_TLS_ENV, MR_TLS_CA: certs.ca }, timeoutMs: 30_000 });
    expectOneLineError(worker, 2, /MR_TLS_CA given, --tls-cert\/MR_TLS_CERT, --tls-key\/MR_TLS_KEY missing/);
    const client = await mr(['nodes', '--master', '127.0.0.1:1'], { env: { MR_CLUSTER_TOKEN: 't', ...NO_TLS_ENV, MR_TLS_KEY: certs.node.key }, timeoutMs: 30_000 });
    expectOneLineError(client, 2, /MR_TLS_KEY given/);
  });

  it('an unreadable file: one line naming it, exit 1', async () => {
    const missing = join(tempDir(), 'no-such-ca.pem');
    const r = await mr(['run', 'wordcount', '--input', GUTENBERG, '--output', join(tempDir(), 'out'), '--tls-cert', certs.node.cert, '--tls-key', certs.node.key, '--tls-ca', missing], { env: NO_TLS_ENV, timeoutMs: 30_000 });
    expectOneLineError(r, 1, new RegExp(`cannot read the TLS CA certificate ${missing} \\(--tls-ca\\): no such file`));
  });

  it('mr run --tls-*: the embedded cluster runs with TLS', async () => {
    const out = join(tempDir(), 'out');
    const book = join(GUTENBERG, 'pg-metamorphosis.txt');
    const r = await mr(['run', 'wordcount', '--input', book, '--output', out, '--reducers', '1', '--tls-cert', certs.node.cert, '--tls-key', certs.node.key, '--tls-ca', certs.ca, '--verbose'], { env: NO_TLS_ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(readOutput(out)).toEqual(runOracle(wordcount, [book], 1));
    // the master (in the mr process) and both worker processes said they run with TLS
    const started = r.stderr.split('\n').filter((l) => /"msg":"(master|worker) started"/.test(l));
    expect(started).toHaveLength(3);
    for (const l of started) expect((JSON.parse(l) as { tls: boolean }).tls).toBe(true);
  });
});
