import * as grpc from '@grpc/grpc-js';
import { connectionFailure, MrError, tlsFailure, wire, type Logger } from '@mr/shared';
import type { AttemptReport, Executor } from './executor.js';

export interface SessionOptions {
  client: wire.MasterClient;
  masterAddress: string;
  /** Whether the connection to the master uses TLS (for readable handshake errors). */
  tls: boolean;
  /** Built at every (re)connect: it says which attempts and map outputs survived. */
  register(): Promise<wire.Register>;
  executor: Executor;
  log: Logger;
  /** Called once when the master refuses this worker for good (wrong token). */
  onFatal(e: MrError): void;
  onDrain(): void;
  onRelease(): void;
  onHandOff(h: wire.HandOff): void;
  onReplicateBlock(r: wire.ReplicateBlock): void;
  onDeleteBlocks(d: wire.DeleteBlocks): void;
  /** Core workers: their disk, read again for every heartbeat (full = below --reserved-space). */
  disk?(): wire.DiskSpace;
  /** Registered with the master (true) or lost it (false): the worker's readiness (health service). */
  onConnected?(connected: boolean): void;
}

const BACKOFF_MIN_MS = 100;
/** contract.md: workers reconnect within 10 s of the master being reachable again. */
const BACKOFF_MAX_MS = 2_000;
const RESEND_WINDOW_MS = 60_000;
/** A TLS failure repeats at every retry: the same reason is logged again only after this long. */
const TLS_ERROR_REPEAT_MS = 30_000;

/**
 * The worker's half of the long-lived Session stream: Register, then heartbeats and attempt results
 * up, Assign and Kill down. A lost master is a logged, bounded-backoff retry, never a crash;
 * attempt results made while disconnected are queued and sent after reconnecting.
 */
export class MasterSession {
  private call: grpc.ClientDuplexStream<wire.WorkerMessage, wire.MasterMessage> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private backoffMs = BACKOFF_MIN_MS;
  private readonly unsent: wire.WorkerMessage[] = [];
  /**
   * Attempt reports written in the last RESEND_WINDOW_MS. A report written to a stream that was
   * already dying is lost with it (there is no ack), so after a reconnect these are sent again;
   * the master ignores the ones it already had.
   */
  private recent: { status: wire.AttemptStatus; atMs: number }[] = [];
  private closed = false;
  private registered = false;
  private draining = false;
  /** Set after the first registration: later ones are reconnects. */
  private reconnected = false;
  private lastTlsError: { reason: string; atMs: number } | undefined;

  constructor(private readonly o: SessionOptions) {}

  start(): void {
    this.connect();
  }

  report(r: AttemptReport): void {
    const status: wire.AttemptStatus = {
      attemptId: r.attemptId,
      outcome: r.killed ? wire.AttemptOutcome.ATTEMPT_OUTCOME_KILLED : r.ok ? wire.AttemptOutcome.ATTEMPT_OUTCOME_SUCCEEDED : wire.AttemptOutcome.ATTEMPT_OUTCOME_FAILED,
      error: r.error ?? '',
      counters: r.counters,
      partitionBytes: r.partitionBytes,
      failedRecord: r.failedRecord ?? '',
      errorCode: r.errorCode ?? '',
      storedOn: r.storedOn ?? [],
      pendingUpload: r.pendingUpload ? JSON.stringify(r.pendingUpload) : '',
      gathered: r.gathered ?? [],
      firstBad: r.firstBad,
      outputTail: r.output ?? '',
      errorStack: r.stack ?? '',
    };
    if (r.killed) {
      // what a killed attempt wrote, for `mr logs`: best effort, not sent again after a reconnect
      this.sendOrQueue({ msg: { $case: 'attemptStatus', value: status } });
      return;
    }
    const now = Date.now();
    this.recent = this.recent.filter((r) => now - r.atMs < RESEND_WINDOW_MS);
    this.recent.push({ status, atMs: now });
    this.sendOrQueue({ msg: { $case: 'attemptStatus', value: status } });
  }

  /** Attempts whose reports the master may not have (queued, or written to a stream that died). */
  unreportedAttempts(): string[] {
    return this.recent.map((r) => r.status.attemptId);
  }

  /** Tells the master this worker is leaving; said again after a reconnect. */
  sendDraining(): void {
    this.draining = true;
    if (this.call && this.registered) this.call.write({ msg: { $case: 'draining', value: {} } });
  }

  sendHandOffResult(r: wire.HandOffResult): void {
    this.sendOrQueue({ msg: { $case: 'handOffResult', value: r } });
  }

  sendBlockReplicated(r: wire.BlockReplicated): void {
    this.sendOrQueue({ msg: { $case: 'blockReplicated', value: r } });
  }

  sendBlockCorrupt(blockId: string): void {
    this.sendOrQueue({ msg: { $case: 'blockCorrupt', value: { blockId } } });
  }

  private sendOrQueue(m: wire.WorkerMessage): void {
    if (this.call && this.registered) this.call.write(m);
    else this.unsent.push(m);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnect);
    this.call?.end();
    this.call = undefined;
  }

  private connect(): void {
    if (this.closed) return;
    this.o.register().then(
      (register) => this.open(register),
      (e: unknown) => {
        this.o.log.error({ err: (e as Error).message }, 'cannot build Register; retrying');
        this.reconnect = setTimeout(() => this.connect(), BACKOFF_MAX_MS);
      },
    );
  }

  private open(register: wire.Register): void {
    if (this.closed) return;
    const call = this.o.client.session();
    this.call = call;
    this.registered = false;
    call.write({ msg: { $case: 'register', value: register } });
    call.on('data', (m: wire.MasterMessage) => this.onMessage(m));
    call.on('error', (e: grpc.ServiceError) => this.onLost(call, e));
    call.on('end', () => this.onLost(call, undefined));
  }

  private onMessage(m: wire.MasterMessage): void {
    const msg = m.msg;
    if (!msg) return;
    switch (msg.$case) {
      case 'registered': {
        this.registered = true;
        this.o.onConnected?.(true);
        this.backoffMs = BACKOFF_MIN_MS;
        this.lastTlsError = undefined;
        this.o.log.info({ master: this.o.masterAddress, nodeId: msg.value.nodeId }, 'registered with master');
        clearInterval(this.heartbeat);
        const every = msg.value.heartbeatIntervalMs || 1_000;
        this.heartbeat = setInterval(() => this.sendHeartbeat(), every);
        this.sendHeartbeat();
        if (this.draining) this.call?.write({ msg: { $case: 'draining', value: {} } });
        // reports that may have died with the old stream, then whatever was queued while disconnected
        const queued = new Set(this.unsent.flatMap((m) => (m.msg?.$case === 'attemptStatus' ? [m.msg.value.attemptId] : [])));
        if (this.reconnected) for (const r of this.recent) if (!queued.has(r.status.attemptId)) this.call?.write({ msg: { $case: 'attemptStatus', value: r.status } });
        this.reconnected = true;
        for (const m of this.unsent.splice(0)) this.call?.write(m);
        return;
      }
      case 'assign':
        if (msg.value.spec) this.o.executor.start(msg.value.spec);
        return;
      case 'kill':
        this.o.executor.kill(msg.value.attemptId, msg.value.reason);
        return;
      case 'gathered':
        this.o.executor.deliverGathered(msg.value.attemptId, msg.value.rows);
        return;
      case 'drain':
        this.o.onDrain();
        return;
      case 'release':
        this.o.onRelease();
        return;
      case 'handOff':
        this.o.onHandOff(msg.value);
        return;
      case 'replicateBlock':
        this.o.onReplicateBlock(msg.value);
        return;
      case 'deleteBlocks':
        this.o.onDeleteBlocks(msg.value);
        return;
    }
  }

  private sendHeartbeat(): void {
    this.call?.write({ msg: { $case: 'heartbeat', value: { runningAttempts: this.o.executor.runningIds(), progress: this.o.executor.progress(), disk: this.o.disk?.() } } });
  }

  private onLost(call: grpc.ClientDuplexStream<wire.WorkerMessage, wire.MasterMessage>, e: grpc.ServiceError | undefined): void {
    if (call !== this.call) return;
    this.call = undefined;
    if (this.registered) this.o.onConnected?.(false);
    this.registered = false;
    clearInterval(this.heartbeat);
    if (this.closed) return;
    if (e?.code === grpc.status.UNAUTHENTICATED) {
      this.closed = true;
      this.o.onFatal(new MrError('MR_ERR_UNAUTHENTICATED', `master ${this.o.masterAddress} refused this worker: wrong cluster token (check MR_CLUSTER_TOKEN)`));
      return;
    }
    // A TLS mismatch (a peer without TLS, a certificate from another CA) is a configuration error,
    // but the master may be restarting with new certificates: keep retrying, and say it plainly.
    const tls = e?.code === grpc.status.UNAVAILABLE ? tlsFailure(e.details ?? '', this.o.tls) : undefined;
    if (tls) {
      const now = Date.now();
      const last = this.lastTlsError;
      if (!last || last.reason !== tls.reason || now - last.atMs >= TLS_ERROR_REPEAT_MS) {
        this.lastTlsError = { reason: tls.reason, atMs: now };
        const what = tls.code === 'MR_ERR_TLS' ? `TLS handshake with master ${this.o.masterAddress} failed` : `cannot connect to master ${this.o.masterAddress}`;
        this.o.log.error({ master: this.o.masterAddress, retryInMs: this.backoffMs }, `${what}: ${tls.reason}; retrying`);
      }
    } else {
      this.o.log.warn({ master: this.o.masterAddress, err: !e ? 'stream ended' : e.code === grpc.status.UNAVAILABLE ? connectionFailure(e.code, e.details) : e.details, retryInMs: this.backoffMs }, 'lost the master; reconnecting');
    }
    this.reconnect = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }
}
