import type * as grpc from '@grpc/grpc-js';
import type { wire } from '@mr/shared';

type SessionCall = grpc.ServerDuplexStream<wire.WorkerMessage, wire.MasterMessage>;

/** The open Session stream of each registered worker: how actions reach workers. */
export class Sessions {
  private readonly calls = new Map<string, SessionCall>();

  set(nodeId: string, call: SessionCall): void {
    const old = this.calls.get(nodeId);
    if (old && old !== call) old.end();
    this.calls.set(nodeId, call);
  }

  /** Removes the node's session if it is still `call`; true when it was. */
  remove(nodeId: string, call: SessionCall): boolean {
    if (this.calls.get(nodeId) !== call) return false;
    this.calls.delete(nodeId);
    return true;
  }

  /** Ends a worker's stream: it reconnects and registers again. */
  close(nodeId: string): void {
    const call = this.calls.get(nodeId);
    this.calls.delete(nodeId);
    call?.end();
  }

  send(nodeId: string, msg: wire.MasterMessage): boolean {
    const call = this.calls.get(nodeId);
    if (!call) return false;
    call.write(msg);
    return true;
  }

  closeAll(): void {
    for (const c of this.calls.values()) c.end();
    this.calls.clear();
  }
}
