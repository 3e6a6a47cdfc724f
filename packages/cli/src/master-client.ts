import { fromServiceError, masterClient, MrError, requireClusterToken, unary, wire } from '@mr/shared';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'KILLED']);

/** The CLI's view of a master: unary calls with deadlines, errors as one-line MrErrors. */
export class MasterApi {
  private readonly client: wire.MasterClient;

  constructor(readonly address: string, token = requireClusterToken()) {
    this.client = masterClient(address, token);
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(method: keyof wire.MasterClient, req: Req, timeoutMs = 30_000): Promise<Res> {
    const fn = (this.client[method] as (...a: unknown[]) => unknown).bind(this.client) as Parameters<typeof unary<Req, Res>>[0];
    return unary<Req, Res>(fn, req, timeoutMs).catch((e: unknown) => {
      throw fromServiceError(e, `master ${this.address}`);
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

  drainNode(nodeId: string): Promise<wire.NodeStatus> {
    return this.call('drainNode', { nodeId });
  }

  /** Polls until the job ends; `onProgress` sees every status. */
  async waitJob(jobId: string, onProgress: (s: wire.JobStatus) => void = () => {}): Promise<wire.JobStatus> {
    let unreachableSince: number | undefined;
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
      await sleep(100);
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
