import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { CHUNK_BYTES, makeChunk, MrError, toServiceError, unaryHandler, wire, type Logger } from '@mr/shared';
import type { Driver } from '../driver/loop.js';
import type { JobSpec, MasterEvent, PendingUpload } from '../machine/types.js';
import { aliveCores } from '../machine/state.js';
import { drainNode, killJob } from '../operations.js';
import { prepareJob } from '../submit.js';
import { jobView, listJobs, listNodes, type JobView } from '../views.js';
import { jobLogs } from '../logs.js';
import { fsService } from './fs-service.js';
import type { Sessions } from './sessions.js';

export interface MasterServiceDeps {
  driver: Driver;
  sessions: Sessions;
  modulesDir: string;
  /** The master's --data dir: no job output may lead into it. */
  dataDir: string;
  heartbeatIntervalMs: number;
  newJobId(): string;
  log: Logger;
}

/** A job as the CLI sees it: its view, and what it was submitted with (`mr status JOB` shows both). */
export function toWireJob(v: JobView, spec: Pick<JobSpec, 'inputs' | 'output' | 'params'> | undefined): wire.JobStatus {
  return {
    id: v.id, name: v.name, state: v.state, error: v.error ?? '', counters: v.counters,
    startedAt: v.startedAt, finishedAt: v.finishedAt ?? '', elapsedMs: v.elapsedMs,
    mapsDone: v.progress.mapsDone, mapsTotal: v.progress.mapsTotal,
    reducesDone: v.progress.reducesDone, reducesTotal: v.progress.reducesTotal,
    inputs: spec?.inputs ?? [], output: spec?.output ?? '', paramsJson: JSON.stringify(spec?.params ?? {}),
  };
}

/** The Master gRPC service: messages in become machine events; nothing here decides. */
/** Infrastructure errors (a shuffle peer gone, a TLS handshake refused) are not the job's fault: the machine counts them as kills. */
const LOST_CODES = new Set(['MR_ERR_SHUFFLE', 'MR_ERR_UNREACHABLE', 'MR_ERR_CHECKSUM', 'MR_ERR_TLS']);

function attemptEvent(s: wire.AttemptStatus, nowMs: number): MasterEvent | undefined {
  if (s.outcome === wire.AttemptOutcome.ATTEMPT_OUTCOME_KILLED) {
    return s.outputTail ? { kind: 'AttemptOutput', attemptId: s.attemptId, stderr: s.outputTail, nowMs } : undefined;
  }
  if (s.outcome === wire.AttemptOutcome.ATTEMPT_OUTCOME_SUCCEEDED) {
    return {
      kind: 'AttemptSucceeded', attemptId: s.attemptId, counters: s.counters, nowMs,
      ...(s.storedOn.length > 0 ? { storedOn: s.storedOn } : {}),
      ...(s.pendingUpload ? { upload: JSON.parse(s.pendingUpload) as PendingUpload } : {}),
      ...(s.gathered.length > 0 ? { gathered: s.gathered } : {}),
      ...(s.firstBad ? { firstBad: { offset: s.firstBad.offset, line: s.firstBad.line, reason: s.firstBad.reason } } : {}),
    };
  }
  return {
    kind: 'AttemptFailed', attemptId: s.attemptId, error: s.error || 'attempt failed', nowMs,
    ...(s.failedRecord ? { failedRecord: s.failedRecord } : {}),
    ...(LOST_CODES.has(s.errorCode) ? { lost: true } : {}),
    ...(s.errorStack ? { stack: s.errorStack } : {}),
    ...(s.outputTail ? { stderr: s.outputTail } : {}),
  };
}

/** A core worker's disk report as an event field (task workers send none). */
function diskOf(disk: wire.DiskSpace | undefined): { disk?: { freeBytes: number; reservedBytes: number; full: boolean } } {
  return disk ? { disk: { freeBytes: disk.freeBytes, reservedBytes: disk.reservedBytes, full: disk.full } } : {};
}

export function masterService(d: MasterServiceDeps): wire.MasterServer {
  const now = () => d.driver.clock.nowMs();
  const specOf = (jobId: string) => d.driver.state.jobs.get(jobId)?.spec;
  const unary = unaryHandler;

  return {
    ...fsService(d.driver),
    session(call: grpc.ServerDuplexStream<wire.WorkerMessage, wire.MasterMessage>) {
      let nodeId: string | undefined;
      const peer = call.getPeer();
      call.on('data', (m: wire.WorkerMessage) => {
        const msg = m.msg;
        if (!msg) return;
        if (msg.$case === 'register') {
          const r = msg.value;
          const role = r.role === wire.Role.ROLE_CORE ? 'core' : r.role === wire.Role.ROLE_TASK ? 'task' : undefined;
          if (!r.nodeId || !role || !(r.slots >= 1) || !r.address) {
            d.log.warn({ peer, nodeId: r.nodeId }, 'refused a malformed Register');
            call.emit('error', toServiceError(new MrError('MR_ERR_USAGE', 'Register needs node id, role, address and slots >= 1')));
            return;
          }
          nodeId = r.nodeId;
          d.sessions.set(nodeId, call);
          call.write({ msg: { $case: 'registered', value: { nodeId, heartbeatIntervalMs: d.heartbeatIntervalMs } } });
          d.log.info({ nodeId, role, address: r.address, slots: r.slots }, 'worker registered');
          void d.driver.dispatch({ kind: 'NodeRegistered', nodeId, role, address: r.address, slots: r.slots, running: r.runningAttempts, mapOutputs: r.mapOutputs, ...diskOf(r.disk), nowMs: now() });
          if (role === 'core') void d.driver.dispatch({ kind: 'BlockReport', nodeId, blocks: r.blocks.map((b) => ({ id: b.id, size: b.size })), nowMs: now() });
          return;
        }
        if (!nodeId) return; // nothing counts before Register
        switch (msg.$case) {
          case 'heartbeat': {
            const progress = msg.value.progress.map((p) => ({ attemptId: p.attemptId, units: p.units, ...(p.awaiting ? { awaiting: p.awaiting } : {}) }));
            void d.driver.dispatch({ kind: 'Heartbeat', nodeId, running: msg.value.runningAttempts, progress, ...diskOf(msg.value.disk), nowMs: now() });
            return;
          }
          case 'attemptStatus': {
            const e = attemptEvent(msg.value, now());
            if (e) void d.driver.dispatch(e);
            return;
          }
          case 'draining':
            d.log.info({ nodeId }, 'worker is draining');
            void d.driver.dispatch({ kind: 'NodeDraining', nodeId, nowMs: now() });
            return;
          case 'blockReplicated': {
            const b = msg.value;
            void d.driver.dispatch({ kind: 'BlockReplicated', nodeId, blockId: b.blockId, targetNodeId: b.targetNodeId, ok: b.ok, nowMs: now() });
            if (!b.ok) d.log.warn({ nodeId, blockId: b.blockId, target: b.targetNodeId, err: b.error }, 'block copy failed');
            return;
          }
          case 'blockCorrupt':
            d.log.warn({ nodeId, blockId: msg.value.blockId }, 'corrupt replica reported');
            void d.driver.dispatch({ kind: 'BlockCorrupt', nodeId, blockId: msg.value.blockId, nowMs: now() });
            return;
          case 'handOffResult': {
            const h = msg.value;
            void d.driver.dispatch({ kind: 'HandOffDone', jobId: h.jobId, attemptId: h.attemptId, targetNodeId: h.targetNodeId, ok: h.ok, error: h.error, nowMs: now() });
            return;
          }
        }
      });
      const lost = () => {
        if (nodeId && d.sessions.remove(nodeId, call)) {
          d.log.warn({ nodeId }, 'worker session closed');
          void d.driver.dispatch({ kind: 'NodeDisconnected', nodeId, nowMs: now() });
        }
      };
      call.on('end', () => {
        lost();
        call.end();
      });
      call.on('error', lost);
      call.on('cancelled', lost);
    },

    submit: unary(async (req: wire.SubmitRequest) => {
      const { spec, splits, skipped } = await prepareJob(req, d.modulesDir, d.driver.state.fs, d.dataDir);
      const busy = [...d.driver.state.jobs.values()].find((j) => (j.state === 'RUNNING' || j.state === 'COMMITTING') && j.spec.output === spec.output);
      if (busy) throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${spec.output} is being written by running job ${busy.id}`);
      if (aliveCores(d.driver.state).length === 0) {
        throw new MrError('MR_ERR_NO_CORE_WORKERS', 'no core worker is alive: a job needs one to hold its shuffle data (start `mr worker --role core`)');
      }
      const jobId = d.newJobId();
      await d.driver.dispatch({ kind: 'JobSubmitted', jobId, spec, splits, nowMs: now() });
      d.log.info({ jobId, job: spec.name, maps: splits.length, reducers: spec.numReducers }, 'job submitted');
      if (skipped.length > 0) d.log.warn({ jobId, skipped: skipped.slice(0, 20), count: skipped.length }, 'input entries skipped');
      return toWireJob(jobView(d.driver.state.jobs.get(jobId)!, now()), spec);
    }),

    getJob: unary((req: wire.JobQuery) => {
      const job = d.driver.state.jobs.get(req.jobId);
      if (!job) throw new MrError('MR_ERR_JOB_NOT_FOUND', `no job ${req.jobId}`);
      return toWireJob(jobView(job, now()), job.spec);
    }),

    listJobs: unary(() => ({ jobs: listJobs(d.driver.state, now()).map((v) => toWireJob(v, specOf(v.id))) })),

    getJobLogs: unary((req: wire.JobLogsQuery): wire.JobLogs => {
      const v = jobLogs(d.driver.state, req.jobId, req.taskId || undefined);
      return {
        jobId: v.jobId, state: v.state, error: v.error ?? '',
        attempts: v.attempts.map((a) => ({ ...a, stack: a.stack ?? '', stderr: a.stderr ?? '' })),
      };
    }),

    listNodes: unary(() => ({ nodes: listNodes(d.driver.state).map((n) => ({ ...n, disk: n.disk })) })),

    killJob: unary(async (req: wire.JobQuery) => {
      const view = await killJob(d.driver, req.jobId, now());
      d.log.info({ jobId: req.jobId }, 'job killed by request');
      return toWireJob(view, specOf(view.id));
    }),

    drainNode: unary(async (req: wire.NodeQuery) => {
      const n = await drainNode(d.driver, req.nodeId, now());
      return { ...n, disk: n.disk };
    }),

    getModule(call: grpc.ServerWritableStream<wire.ModuleRequest, wire.Chunk>) {
      const hash = call.request.hash;
      if (!/^[a-f0-9]{64}$/.test(hash)) return call.emit('error', toServiceError(new MrError('MR_ERR_JOB_MODULE', 'bad module hash')));
      const src = createReadStream(join(d.modulesDir, `${hash}.mjs`), { highWaterMark: CHUNK_BYTES });
      src.on('data', (b) => call.write(makeChunk(b as Buffer)));
      src.on('end', () => call.end());
      src.on('error', () => call.emit('error', toServiceError(new MrError('MR_ERR_JOB_MODULE', `no job module ${hash.slice(0, 12)} on the master`))));
    },
  };
}
