import { Command } from 'commander';
import type { wire } from '@mr/shared';
import { MasterApi } from '../master-client.js';
import { masterAddress, masterOption } from '../options.js';
import type { Io } from '../io.js';

/** `mr logs --json`: one document. `stack` and `stderr` are left out when the attempt has none. */
export interface LogsJson {
  jobId: string;
  state: string;
  error?: string;
  attempts: {
    attemptId: string;
    taskId: string;
    kind: string;
    number: number;
    nodeId: string;
    state: string;
    startedMs: number;
    finishedMs: number;
    error: string;
    stack?: string;
    stderr?: string;
  }[];
}

export function logsJson(l: wire.JobLogs): LogsJson {
  return {
    jobId: l.jobId,
    state: l.state,
    ...(l.error ? { error: l.error } : {}),
    attempts: l.attempts.map((a) => ({
      attemptId: a.attemptId, taskId: a.taskId, kind: a.kind, number: a.number, nodeId: a.nodeId, state: a.state,
      startedMs: a.startedMs, finishedMs: a.finishedMs, error: a.error,
      ...(a.stack ? { stack: a.stack } : {}), ...(a.stderr ? { stderr: a.stderr } : {}),
    })),
  };
}

const indent = (text: string, by: string) => text.replace(/\s+$/, '').split('\n').map((l) => by + l).join('\n');

/** Per attempt: a header line, then its error, the user's stack and the tail of its output, indented. */
export function renderLogs(l: wire.JobLogs, taskId?: string): string {
  const out = [`job ${l.jobId} ${l.state}${l.error ? `: ${l.error}` : ''}`];
  if (l.attempts.length === 0) {
    out.push(`no failed attempts${taskId ? ` of task ${taskId}` : ''}`);
    return out.join('\n');
  }
  for (const a of l.attempts) {
    const secs = `${(Math.max(0, a.finishedMs - a.startedMs) / 1000).toFixed(1)}s`;
    out.push('', `${a.attemptId}  task ${a.taskId}  node ${a.nodeId}  ${a.state}  ${secs}`);
    out.push(`  ${a.state === 'KILLED' ? 'reason' : 'error'}: ${a.error}`);
    if (a.stack) out.push('  stack:', indent(a.stack, '    '));
    if (a.stderr) out.push('  output (stdout and stderr, last 64 KiB):', indent(a.stderr, '    '));
  }
  return out.join('\n');
}

export function logsCommand(io: Io): Command {
  return new Command('logs')
    .description('show the failed and killed attempts of a job: errors, stack traces, and what user code wrote')
    .argument('<JOB_ID>')
    .addOption(masterOption())
    .option('--task <TASK_ID>', 'only this task\'s attempts, e.g. m-00003, r-00000 (default: every task\'s)')
    .option('--json', 'print JSON on stdout')
    .action(async (jobId: string, o: { master?: string; task?: string; json?: boolean }) => {
      const api = new MasterApi(masterAddress(o.master));
      try {
        const logs = await api.getJobLogs(jobId, o.task);
        io.out(o.json ? JSON.stringify(logsJson(logs)) : renderLogs(logs, o.task));
      } finally {
        api.close();
      }
    });
}
