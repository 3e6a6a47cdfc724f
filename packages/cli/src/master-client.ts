import { fromServiceError, masterClient, MrError, requireClusterToken, tlsFromEnv, unary, wire, type TlsConfig } from '@mr/shared';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'KILLED']);

/** What a client needs to be let in: the cluster token, and TLS when the cluster uses it. */
export interface ClientCreds {
  token: string;
  tls: TlsConfig | undefined;
}

/**
 * A client command's credentials: MR_CLUSTER_TOKEN (or the local master's data dir) and
 * MR_TLS_CERT/KEY/CA (client commands have no --tls-* flags; only master, worker and run do).
 */
export function clientCreds(): ClientCreds {
  return { token: requireClusterToken(), tls: tlsFromEnv() };
}

/** The CLI's view of a master: unary calls with deadlines, errors as one-line MrErrors. */
export class MasterApi {
  private readonly client: wire.MasterClient;
  readonly tls: TlsConfig | undefined;

  constructor(readonly address: string, creds: ClientCreds = clientCreds()) {
    this.tls = creds.tls;
    this.client = masterClient(address, creds.token, creds.tls);
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(method: keyof wire.MasterClient, req: Req, timeoutMs = 30_000): Promise<Res> {
    const fn = (this.client[method] as (...a: unknown[]) => unknown).bind(this.client) as Parameters<typeof unary<Req, Res>>[0];
    return unary<Req, Res>(fn, req, timeoutMs).catch((e: unknown) => {
      throw fromServiceError(e, `the master at ${this.address}`, this.tls !== undefined);
    });
  }

  submit(req: wire.SubmitRequest): Promise<wire.JobStatus> {
    return this.call('submit', req, 120_000);
  }

  getJob(jobId: string): Promise<wire.JobStatus> {
    return this.call('getJob', { jobId });
  }

  listJobs(): Promise<wire.JobList> {
    return this.call('listJobs', {});
  }

  listNodes(): Promise<wire.NodeList> {
    return this.call('listNodes', {}, 10_000);
  }

  killJob(jobId: string): Promise<wire.JobStatus> {
    return this.call('killJob', { jobId });
  }

  /** `mr logs`: the job's failed and killed attempts (one task's, when `taskId` is given). */
  getJobLogs(jobId: string, taskId = ''): Promise<wire.JobLogs> {
    return this.call('getJobLogs', { jobId, taskId });
  }

  drainNode(nodeId: string): Promise<wire.NodeStatus> {
    return this.call('drainNode', { nodeId });
  }

  /**
   * Polls until the job ends; `onProgress` sees every status. Every 10 ms at first, backing off
   * to every 100 ms: a small job's end is seen soon after it comes (a fixed 100 ms added 50 ms on
   * average to every short `mr run`), a long one costs the master no more than before.
   */
  async waitJob(jobId: string, onProgress: (s: wire.JobStatus) => void = () => {}): Promise<wire.JobStatus> {
    let unreachableSince: number | undefined;
    let pollMs = 10;
    for (;;) {
      let s: wire.JobStatus;
      try {
        s = await this.getJob(jobId);
        unreachableSince = undefined;
      } catch (e) {
        // a restarting master is waited for (bounded); anything else ends the wait
        if (!(MrError.is(e) && e.code === 'MR_ERR_UNREACHABLE')) throw e;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > 60_000) throw e;
        await sleep(1_000);
        continue;
      }
      onProgress(s);
      if (FINAL.has(s.state)) return s;
      await sleep(pollMs);
      pollMs = Math.min(100, Math.ceil(pollMs * 1.5));
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
