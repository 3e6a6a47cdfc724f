/**
 * The master's state, events and actions. Everything here is plain data: the machine (step.ts)
 * never touches time, sockets or disk; drivers feed it events and carry out its actions in order.
 */
export type Role = 'core' | 'task';
/** DECOMMISSIONED: it was draining and has left (an expected departure, not a failure). */
export type NodeState = 'ALIVE' | 'DEAD' | 'DECOMMISSIONING' | 'DECOMMISSIONED';
export type TaskKind = 'map' | 'reduce';
/** FAILED and KILLED only once the job has ended: a task of a running job is retried instead (settleTasks). */
export type TaskState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'KILLED';
export type AttemptState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'KILLED';
export type JobState = 'RUNNING' | 'COMMITTING' | 'SUCCEEDED' | 'FAILED' | 'KILLED';

export interface JobRef {
  builtin?: string;
  moduleHash?: string;
}

export interface Split {
  uri: string;
  start: number;
  length: number;
  /** bs:// splits: core workers holding the block (data-local candidates). */
  hosts?: string[];
}

export interface JobSpec {
  name: string;
  job: JobRef;
  params: Record<string, string>;
  inputs: string[];
  output: string;
  numReducers: number;
  sortBufferBytes: number;
  maxAttempts: number;
  /** KILLED attempts (lost with their worker) a task may have before the job fails. */
  maxKilledAttempts: number;
  /** An attempt with no progress report for this long is FAILED. */
  taskTimeoutMs: number;
  speculation: boolean;
  skipBadRecords: boolean;
  /** Reduce tasks 1..R-1 hand their output to task 0, which runs alongside them and gets it when they are done (JobDefinition.gather). */
  gather?: boolean;
  /** The job fails when more than this share of its data records are bad (checked when the maps end). */
  maxBadFraction?: number;
  /** --overwrite: the output may hold an old result, replaced at commit. */
  overwrite?: boolean;
  /** Entries of input directories the listing passed over (broken links, loops, sockets): the `skippedInputEntries` counter. */
  skippedInputEntries?: number;
  /** --task-memory: each attempt's heap limit; absent: the worker's default. */
  taskMemoryBytes?: number;
}

/** The first record job code marked bad in a map task. */
export interface BadRecordRef {
  offset: number;
  /** Line within the split, from 1. */
  line: number;
  reason: string;
}

export interface NodeInfo {
  id: string;
  role: Role;
  address: string;
  slots: number;
  state: NodeState;
  lastHeartbeatMs: number;
  /** Attempt ids the master has running on this node. */
  running: string[];
  /** DECOMMISSIONING: told it may leave (holds nothing a running job needs). */
  released?: boolean;
  /** After a master restart, until the node registers again: it has no session, so nothing is assigned. */
  awaitingSession?: boolean;
  /**
   * After a master restart: missed heartbeats do not make the node DEAD before this (it had no
   * session to send them on). Its own field: lastHeartbeatMs stays the last one really received.
   */
  graceUntilMs?: number;
  /** Core workers: their disk as last reported (full = below --reserved-space: no new blocks or map outputs). */
  disk?: DiskSpace;
}

export interface DiskSpace {
  freeBytes: number;
  reservedBytes: number;
  full: boolean;
}

export interface Task {
  id: string;
  kind: TaskKind;
  index: number;
  state: TaskState;
  split?: Split;
  attempts: string[];
  failures: number;
  killed: number;
  /** Nodes where an attempt of this task failed: avoided while others are free. */
  failedOn: string[];
  lastError?: string;
  /** FAILED or KILLED (set when the job ended): why the task did not finish. */
  error?: string;
  /** The attempt whose output counts: for maps, stored on `outputNodes` (core workers). */
  winner?: string;
  outputNodes?: string[];
  /** A map output being copied off a draining core worker, to this core worker. */
  handOffTo?: string;
  /** Records user code threw on ("offset:N", "key:K") and how many attempts did. */
  badRecords: Record<string, number>;
  /** s3:// output: the winner's multipart upload, completed at job commit. */
  upload?: PendingUpload;
  /** The winner's counters, in the job's totals (taken out again if a map's output is lost and it re-runs). */
  counters?: Record<string, number>;
  /** Maps: the first bad record of the winner. */
  firstBad?: BadRecordRef;
  /** Gathering jobs, reduce tasks 1..R-1: what the winner emitted (JSON pairs), for task 0. */
  gathered?: string[];
}

/** An S3 multipart upload left open by a reduce attempt (opaque to the machine). */
export interface PendingUpload {
  bucket: string;
  key: string;
  uploadId: string;
  parts: { PartNumber: number; ETag: string }[];
}

export interface Attempt {
  id: string;
  jobId: string;
  taskId: string;
  kind: TaskKind;
  number: number;
  nodeId: string;
  state: AttemptState;
  startedMs: number;
  finishedMs?: number;
  /** Progress counter last reported, and when it last grew (task timeout). */
  progressUnits: number;
  lastProgressMs: number;
  /** The user function whose returned promise the attempt waited for at its last heartbeat (a task timeout names it). */
  awaiting?: string;
  speculative: boolean;
  /** Map attempts: the core workers that store the output (2 when there are two or more). */
  shuffleTargets?: string[];
  /** FAILED: why; KILLED: the reason. */
  error?: string;
  /** User-code errors: the stack trace, the user's frames (bounded: MAX_ATTEMPT_STACK). */
  stack?: string;
  /** FAILED and KILLED: the tail of what user code wrote to stdout and stderr (bounded, see keepOutput). */
  stderr?: string;
}

export interface Job {
  id: string;
  spec: JobSpec;
  state: JobState;
  maps: Task[];
  reduces: Task[];
  counters: Record<string, number>;
  /**
   * Per phase: tasks SUCCEEDED, tasks PENDING, and the lowest index that may be PENDING (a scan
   * starts there). Kept by setTaskState so that scheduling costs O(1) per event, not O(tasks);
   * rebuilt from the tasks when missing (a snapshot from before it existed).
   */
  progress?: Record<TaskKind, PhaseProgress>;
  submittedMs: number;
  finishedMs?: number;
  error?: string;
  /** Characters of attempt output (Attempt.stderr) the job keeps in all: bounds it per job. */
  outputChars?: number;
}

export interface PhaseProgress {
  succeeded: number;
  pending: number;
  scanFrom: number;
}

export interface MachineConfig {
  heartbeatTimeoutMs: number;
  /** After a master restart, how long known workers have to reconnect before they are DEAD. */
  recoveryGraceMs: number;
  /** Running jobs wait this long for a core worker (to hold shuffle data) when none is alive, then fail. */
  noCoreGraceMs: number;
  /** Block store defaults for files created without their own (--block-size, --replication on the master). */
  defaultBlockSize: number;
  defaultReplication: number;
}

export interface MasterState {
  config: MachineConfig;
  nodes: Map<string, NodeInfo>;
  jobs: Map<string, Job>;
  /** Submission order: the scheduler serves jobs FIFO. */
  jobOrder: string[];
  attempts: Map<string, Attempt>;
  /** Round-robin cursor for choosing shuffle targets among core workers. */
  shuffleCursor: number;
  /** Since when no core worker has been alive (undefined while one is). */
  noCoreSinceMs?: number;
  /** Since when every live core worker has been full (undefined while one has room). */
  allCoresFullSinceMs?: number;
  /** The block store's namespace (bs://). */
  fs: FsState;
}

export interface FsDir {
  kind: 'dir';
  path: string;
  mtimeMs: number;
}

export interface FsFile {
  kind: 'file';
  path: string;
  size: number;
  blockSize: number;
  replication: number;
  blocks: string[];
  /** Being written: not visible to readers or listings until closed. */
  open: boolean;
  mtimeMs: number;
}

export interface Block {
  id: string;
  path: string;
  offset: number;
  size: number;
  replicas: string[];
  /** Copies under way: target node and when it was asked for (retried after a timeout). */
  copying: { target: string; sinceMs: number }[];
}

export interface FsState {
  entries: Map<string, FsDir | FsFile>;
  blocks: Map<string, Block>;
  nextBlock: number;
  /** Replicas found corrupt so far (status). */
  corruptReplicas: number;
}

export type MasterEvent =
  /** `running` and `mapOutputs` say what survived on a worker whose session was lost. */
  | { kind: 'NodeRegistered'; nodeId: string; role: Role; address: string; slots: number; running: string[]; mapOutputs: string[]; disk?: DiskSpace; nowMs: number }
  | { kind: 'Heartbeat'; nodeId: string; running: string[]; progress: { attemptId: string; units: number; awaiting?: string }[]; disk?: DiskSpace; nowMs: number }
  /** The worker is leaving (SIGTERM) or was told to (DrainRequested). */
  | { kind: 'NodeDraining'; nodeId: string; nowMs: number }
  | { kind: 'DrainRequested'; nodeId: string; nowMs: number }
  | { kind: 'HandOffDone'; jobId: string; attemptId: string; targetNodeId: string; ok: boolean; error: string; nowMs: number }
  /** Replayed state is live again: workers get a grace period to reconnect; pending commits are redone. */
  | { kind: 'MasterRecovered'; nowMs: number }
  | { kind: 'BlockReport'; nodeId: string; blocks: { id: string; size: number }[]; nowMs: number }
  | { kind: 'BlockReplicated'; nodeId: string; blockId: string; targetNodeId: string; ok: boolean; nowMs: number }
  | { kind: 'BlockCorrupt'; nodeId: string; blockId: string; nowMs: number }
  /** A namespace request: answered by a Reply action with the same requestId. */
  | { kind: 'FsRequest'; requestId: number; op: FsOp; nowMs: number }
  | { kind: 'NodeDisconnected'; nodeId: string; nowMs: number }
  | { kind: 'Tick'; nowMs: number }
  | { kind: 'JobSubmitted'; jobId: string; spec: JobSpec; splits: Split[]; nowMs: number }
  /** `storedOn`: for maps, the shuffle targets that really stored the output (default: all). */
  | {
    kind: 'AttemptSucceeded'; attemptId: string; counters: Record<string, number>; storedOn?: string[]; upload?: PendingUpload;
    gathered?: string[]; firstBad?: BadRecordRef; nowMs: number;
  }
  /**
   * `lost`: an infrastructure error (shuffle peer gone), counted like a kill, not a failure.
   * `stack`, `stderr`: the user's stack frames and the tail of what user code wrote (`mr logs`).
   */
  | { kind: 'AttemptFailed'; attemptId: string; error: string; failedRecord?: string; lost?: boolean; stack?: string; stderr?: string; nowMs: number }
  /** What a killed attempt wrote (the worker sends it once the attempt stopped): kept for `mr logs`. */
  | { kind: 'AttemptOutput'; attemptId: string; stderr: string; nowMs: number }
  | { kind: 'JobCommitted'; jobId: string; nowMs: number }
  | { kind: 'JobCommitFailed'; jobId: string; error: string; nowMs: number }
  /** `mr job kill`: answered by a Reply (the job's state, or why it cannot be killed). */
  | { kind: 'KillJob'; jobId: string; requestId: number; nowMs: number };

export type FsOp =
  | { op: 'mkdir'; path: string }
  | { op: 'create'; path: string; blockSize: number; replication: number; overwrite: boolean }
  /** `exclude`, `replaces`: a block write that failed on those nodes is tried again elsewhere, in its place. */
  | { op: 'addBlock'; path: string; clientNode?: string; exclude?: string[]; replaces?: string }
  | { op: 'blockDone'; path: string; blockId: string; size: number; replicas: string[] }
  | { op: 'close'; path: string }
  | { op: 'abandon'; path: string }
  | { op: 'rename'; src: string; dst: string }
  | { op: 'delete'; path: string; recursive: boolean };

export interface MapOutputLocation {
  mapIndex: number;
  attemptId: string;
  holders: { nodeId: string; address: string }[];
}

/** What a worker needs to run one attempt. */
export interface AttemptSpec {
  attemptId: string;
  jobId: string;
  taskId: string;
  kind: TaskKind;
  attempt: number;
  job: JobRef;
  params: Record<string, string>;
  numReducers: number;
  sortBufferBytes: number;
  /** --task-memory (absent: the worker's default). */
  taskMemoryBytes?: number;
  mapIndex?: number;
  split?: Split;
  shuffleTargets?: { nodeId: string; address: string }[];
  partition?: number;
  mapOutputs?: MapOutputLocation[];
  output?: string;
  attemptOutput?: string;
  skipOffsets?: number[];
  skipKeys?: string[];
  /** Reduce task 0 of a gathering job: what tasks 1..R-1 emitted. */
  gathered?: string[];
  /** Reduce tasks 1..R-1 of a gathering job: hand the output back instead of writing it. */
  gatherOutput?: boolean;
  /** Reduce task 0 of a gathering job started before the others are done: `gathered` comes in a SendGathered. */
  gatherPending?: boolean;
}

export type Action =
  | { kind: 'StartAttempt'; nodeId: string; spec: AttemptSpec }
  | { kind: 'KillAttempt'; nodeId: string; attemptId: string; reason: string }
  | { kind: 'SendDrain'; nodeId: string }
  /** What reduce tasks 1..R-1 of a gathering job emitted, for a running attempt of task 0 (gatherPending). */
  | { kind: 'SendGathered'; nodeId: string; attemptId: string; gathered: string[] }
  /** End a worker's session (it reconnects and registers afresh). */
  | { kind: 'CloseSession'; nodeId: string; reason: string }
  /** Ask a draining core worker to copy a stored map output to another core worker. */
  | { kind: 'HandOff'; nodeId: string; jobId: string; attemptId: string; target: { nodeId: string; address: string } }
  /** A draining worker holds nothing needed any more: it may exit once its attempts end. */
  | { kind: 'Release'; nodeId: string }
  /** Promote a reduce attempt's output: the first finished attempt per task, once. */
  | { kind: 'CommitTask'; jobId: string; attemptId: string; partition: number; output: string; attemptOutput: string }
  /** Remove a discarded attempt's temporary output. */
  | { kind: 'AbortAttempt'; jobId: string; attemptId: string; output: string }
  /** Move committed parts to their final paths (s3://: complete the uploads), then write _SUCCESS; answers JobCommitted. */
  | {
    kind: 'CommitJob'; jobId: string; output: string; numReducers: number; uploads?: PendingUpload[];
    /** Without --overwrite a result found at the output was written by another job meanwhile: the commit refuses it. */
    overwrite: boolean;
    /** Redone after a master restart: a result found may be this job's own, from the commit the crash cut short. */
    redo?: boolean;
  }
  /** Remove everything the job wrote under its output's temporary dir (s3://: abort its uploads). */
  | { kind: 'AbortJob'; jobId: string; output: string; uploads?: PendingUpload[] }
  /** s3://: abort an upload no one will complete (a duplicate attempt's). */
  | { kind: 'AbortUpload'; jobId: string; upload: PendingUpload }
  /** Tell core workers to delete the job's shuffle data. */
  | { kind: 'DropShuffle'; jobId: string; nodeIds: string[] }
  | { kind: 'JobFinished'; jobId: string; state: JobState; error?: string }
  /** Copy a block from a core worker holding it to another core worker. */
  | { kind: 'ReplicateBlock'; nodeId: string; blockId: string; target: { nodeId: string; address: string } }
  | { kind: 'DeleteBlocks'; nodeId: string; blockIds: string[] }
  /** The answer to an FsRequest: a value, or a coded error (code from the shared catalogue). */
  | { kind: 'Reply'; requestId: number; ok: true; value: unknown }
  | { kind: 'Reply'; requestId: number; ok: false; code: string; message: string };

export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'KILLED']);
