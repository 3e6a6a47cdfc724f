/**
 * The web UI's HTML, rendered on the server from the same views as /api/* (one renderer: the
 * browser script only swaps in the `#live` part it polls, so there is no second copy of the
 * markup in JavaScript and every value is escaped here).
 */
import { plural } from '@mr/shared';
import type { JobLogsView } from '../logs.js';
import { FINAL_JOB_STATES } from '../machine/types.js';
import type { AttemptView, BlockStoreView, FileView, JobDetailView, JobView, NodeDetailView, TaskView } from '../views.js';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Rows of a task table per phase: a job page stays small for jobs of many thousands of tasks. */
export const MAX_TASK_ROWS = 500;

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** States after which a page's live part stops refreshing. */
const FINAL: ReadonlySet<string> = FINAL_JOB_STATES;
const state = (s: string) => `<span class="state ${esc(s)}">${esc(s)}</span>`;
const phase = (done: number, total: number) =>
  `<progress max="${Math.max(total, 1)}" value="${total === 0 ? 0 : done}"></progress> <span class="num">${done}/${total}</span>`;
const jobLink = (id: string) => `<a href="/jobs/${encodeURIComponent(id)}">${esc(id)}</a>`;
const action = (path: string, label: string, confirm: string) =>
  `<button type="button" data-action="${esc(path)}" data-confirm="${esc(confirm)}">${esc(label)}</button>`;

/** The page around a `#live` part; `/ui.js` refreshes that part every second until it is final. */
export function layout(title: string, live: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · mr</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/ui.css"></head><body>
<header><a href="/" class="brand">mr</a> <a href="/">jobs &amp; nodes</a> <a href="/blockstore">block store</a> <a href="/metrics">metrics</a></header>
<main id="live">${live}</main><script src="/ui.js" defer></script></body></html>`;
}

/** Jobs on the overview, newest first (each refresh renders them all; /api/jobs lists every one). */
export const MAX_JOB_ROWS = 200;

export function overview(jobs: JobView[], nodes: NodeDetailView[], bs: BlockStoreView): string {
  const jobRows = jobs
    .slice(-MAX_JOB_ROWS)
    .reverse()
    .map((j) => {
      const c = j.counters;
      return `<tr data-job="${esc(j.id)}"><td>${jobLink(j.id)}</td><td>${esc(j.name)}</td><td>${state(j.state)}</td>
<td>${phase(j.progress.mapsDone, j.progress.mapsTotal)}</td><td>${phase(j.progress.reducesDone, j.progress.reducesTotal)}</td>
<td class="num">${duration(j.elapsedMs)}</td><td class="num">${esc(c.inputRecords ?? 0)}</td><td class="num">${esc(c.outputRecords ?? 0)}</td>
<td class="err">${esc(j.error ?? '')}</td><td>${j.state === 'RUNNING' ? action(`/api/jobs/${encodeURIComponent(j.id)}/kill`, 'Kill', `Kill job ${j.id}?`) : ''}</td></tr>`;
    })
    .join('\n');
  const nodeRows = nodes
    .map((n) => `<tr data-node="${esc(n.id)}"><td>${esc(n.id)}</td><td>${esc(n.role)}</td><td>${esc(n.address)}</td><td>${state(n.state)}</td>
<td class="num">${n.runningTasks}/${n.slots}</td><td class="ids">${n.runningAttempts.map(esc).join(' ')}</td>
<td class="num">${n.storedBytes === undefined ? '' : `${bytes(n.storedBytes)} (${plural(n.storedBlocks ?? 0, 'block')})`}</td>
<td><time datetime="${esc(new Date(n.lastHeartbeatMs).toISOString())}">${esc(new Date(n.lastHeartbeatMs).toISOString().slice(11, 19))}</time></td>
<td>${n.state === 'ALIVE' ? action(`/api/nodes/${encodeURIComponent(n.id)}/drain`, 'Drain', `Drain node ${n.id}? Its running attempts move elsewhere and it leaves the cluster.`) : ''}</td></tr>`)
    .join('\n');
  return `<h1>Jobs</h1>
<table><thead><tr><th>id</th><th>job</th><th>state</th><th>map tasks</th><th>reduce tasks</th><th>elapsed</th><th>input records</th><th>output records</th><th>error</th><th></th></tr></thead>
<tbody>${jobRows || '<tr><td colspan="10">no jobs yet</td></tr>'}</tbody></table>
${jobs.length > MAX_JOB_ROWS ? `<p>Showing the newest ${MAX_JOB_ROWS} of ${jobs.length} jobs; /api/jobs lists them all.</p>` : ''}
<h1>Nodes</h1>
<table><thead><tr><th>id</th><th>role</th><th>address</th><th>state</th><th>running/slots</th><th>running attempts</th><th>stored (block store)</th><th>last heartbeat (UTC)</th><th></th></tr></thead>
<tbody>${nodeRows || '<tr><td colspan="9">no workers yet</td></tr>'}</tbody></table>
${blockStoreSummary(bs)}`;
}

function blockStoreSummary(bs: BlockStoreView): string {
  return `<h1><a href="/blockstore">Block store</a></h1>
<table><thead><tr><th>files</th><th>directories</th><th>bytes</th><th>blocks</th><th>under-replicated</th><th>only on decommissioning nodes (readable)</th><th>missing</th><th>corrupt replicas found</th></tr></thead>
<tbody><tr><td class="num">${bs.files}</td><td class="num">${bs.directories}</td><td class="num">${bytes(bs.bytes)}</td><td class="num">${bs.blocks}</td>
<td class="num ${bs.underReplicatedBlocks > 0 ? 'warn' : ''}" id="under-replicated">${bs.underReplicatedBlocks}</td>
<td class="num ${bs.decommissioningOnlyBlocks > 0 ? 'warn' : ''}" id="decommissioning-only">${bs.decommissioningOnlyBlocks}</td>
<td class="num ${bs.missingBlocks > 0 ? 'err' : ''}" id="missing">${bs.missingBlocks}</td><td class="num">${bs.corruptReplicas}</td></tr></tbody></table>`;
}

export function jobPage(j: JobDetailView): string {
  const counters = Object.entries(j.counters)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td class="num">${esc(v)}</td></tr>`)
    .join('');
  const maps = j.tasks.filter((t) => t.kind === 'map');
  const reduces = j.tasks.filter((t) => t.kind === 'reduce');
  return `<h1>Job ${esc(j.id)} <small>${esc(j.name)}</small></h1>
<div id="job-state" ${FINAL.has(j.state) ? 'data-final="1"' : ''}>${state(j.state)} ${j.state === 'RUNNING' ? action(`/api/jobs/${encodeURIComponent(j.id)}/kill`, 'Kill', `Kill job ${j.id}?`) : ''}</div>
${j.error ? `<p class="err">${esc(j.error)}</p>` : ''}
${j.tasks.some((t) => t.attempts.some((a) => a.state === 'FAILED' || a.state === 'KILLED')) ? `<p><a href="/jobs/${encodeURIComponent(j.id)}/logs">Failed and killed attempts: errors, stack traces, output</a></p>` : ''}
<table class="facts"><tbody>
<tr><th>map phase</th><td id="map-progress">${phase(j.progress.mapsDone, j.progress.mapsTotal)}</td></tr>
<tr><th>reduce phase</th><td id="reduce-progress">${phase(j.progress.reducesDone, j.progress.reducesTotal)}</td></tr>
<tr><th>started</th><td>${esc(j.startedAt)}</td></tr>
<tr><th>elapsed</th><td>${duration(j.elapsedMs)}</td></tr>
<tr><th>input</th><td>${j.inputs.map(esc).join('<br>')}</td></tr>
<tr><th>output</th><td>${esc(j.output)} (${plural(j.reducers, 'reducer')})</td></tr>
</tbody></table>
<h2>Counters</h2><table class="facts"><tbody>${counters || '<tr><td>none yet</td></tr>'}</tbody></table>
${taskTable('Map tasks', maps)}
${taskTable('Reduce tasks', reduces)}`;
}

function taskTable(title: string, tasks: TaskView[]): string {
  const shown = tasks.slice(0, MAX_TASK_ROWS);
  const rows = shown.map((t) => {
    const first = `<td rowspan="${Math.max(1, t.attempts.length)}">${esc(t.id)}</td><td rowspan="${Math.max(1, t.attempts.length)}">${state(t.state)}${t.error ? `<div class="err">${esc(t.error)}</div>` : ''}${t.split ? `<div class="ids">${esc(t.split)}</div>` : ''}</td>`;
    if (t.attempts.length === 0) return `<tr data-task="${esc(t.id)}">${first}<td colspan="6">not started</td></tr>`;
    return t.attempts.map((a, i) => `<tr data-task="${esc(t.id)}">${i === 0 ? first : ''}${attemptCells(a)}</tr>`).join('');
  });
  const more = tasks.length > shown.length ? `<p>Showing ${shown.length} of ${tasks.length} tasks; /api/jobs/ID lists them all.</p>` : '';
  return `<h2>${esc(title)} (${tasks.length})</h2>
<table><thead><tr><th>task</th><th>state</th><th>attempt</th><th>node</th><th>attempt state</th><th>started (UTC)</th><th>duration</th><th>error</th></tr></thead>
<tbody>${rows.join('\n') || '<tr><td colspan="8">none</td></tr>'}</tbody></table>${more}`;
}

function attemptCells(a: AttemptView): string {
  return `<td title="${esc(a.id)}">#${a.number}${a.speculative ? ' <small>(speculative)</small>' : ''}</td><td>${esc(a.nodeId)}</td><td>${state(a.state)}</td>
<td>${esc(a.startedAt.slice(11, 23))}</td><td class="num">${duration(a.durationMs)}</td><td class="err">${esc(a.error ?? '')}</td>`;
}

export function blockStorePage(bs: BlockStoreView, files: FileView[], total: number): string {
  const rows = files
    .map((f) => `<tr><td>${esc(f.path)}</td><td class="num">${bytes(f.size)}</td><td class="num">${f.blocks}</td>
<td class="num ${f.blocks > 0 && f.minLiveReplicas < f.target ? 'warn' : ''}">${f.blocks === 0 ? '' : f.minLiveReplicas}/${f.target}${f.target < f.replication ? ` <small>(of ${f.replication}: too few core workers)</small>` : ''}</td></tr>`)
    .join('\n');
  return `${blockStoreSummary(bs)}
<h2>Files (${total})</h2>
<table><thead><tr><th>path</th><th>size</th><th>blocks</th><th>live replicas (fewest of any block) / target</th></tr></thead>
<tbody>${rows || '<tr><td colspan="4">no files</td></tr>'}</tbody></table>
${total > files.length ? `<p>Showing ${files.length} of ${total} files; <code>mr fs ls</code> lists them all.</p>` : ''}`;
}

/** `mr logs` as a page: per failed or killed attempt, its error, the user's stack and the output tail. */
export function logsPage(l: JobLogsView): string {
  const attempts = l.attempts.map((a) => `<section class="attempt" data-attempt="${esc(a.attemptId)}">
<h2>${esc(a.taskId)} #${a.number} <small>${esc(a.attemptId)} on ${esc(a.nodeId)}, ${duration(Math.max(0, a.finishedMs - a.startedMs))}</small> ${state(a.state)}</h2>
<p class="err">${esc(a.error)}</p>
${a.stack ? `<h3>Stack</h3><pre>${esc(a.stack)}</pre>` : ''}
${a.stderr ? `<h3>Output (stdout and stderr, last 64 KiB)</h3><pre>${esc(a.stderr)}</pre>` : ''}
</section>`);
  const shown = l.state === 'COMMITTING' ? 'RUNNING' : l.state; // as jobView shows it
  return `<h1>Job ${jobLink(l.jobId)}: failed and killed attempts</h1>
<div ${FINAL.has(l.state) ? 'data-final="1"' : ''}>${state(shown)}${l.error ? ` <span class="err">${esc(l.error)}</span>` : ''}</div>
${attempts.join('\n') || '<p>No failed or killed attempts.</p>'}`;
}

export function notFoundPage(what: string): string {
  return `<h1>Not found</h1><p>${esc(what)}</p>`;
}

export const UI_CSS = `body{font:14px system-ui,sans-serif;margin:0;color:#222}
header{background:#223;padding:8px 2em}header a{color:#dde;margin-right:1.5em;text-decoration:none}header .brand{font-weight:bold;color:#fff}
main{margin:1em 2em}h1{font-size:1.3em;margin-top:1.2em}h2{font-size:1.1em}small{color:#666;font-weight:normal}
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f3f3f6}.num{text-align:right;font-variant-numeric:tabular-nums}.ids{font:12px ui-monospace,monospace;color:#555}
progress{width:9em;vertical-align:middle}.state{font-weight:600}
.SUCCEEDED,.ALIVE{color:#080}.FAILED,.DEAD,.KILLED,.err{color:#b00}.RUNNING,.COMMITTING{color:#05a}.DECOMMISSIONING,.PENDING,.warn{color:#a60}
.DECOMMISSIONED{color:#666}
.facts th{background:#f7f7f9;font-weight:normal}button{cursor:pointer}
pre{background:#f7f7f9;border:1px solid #ddd;padding:6px 8px;overflow-x:auto;max-height:30em;font-size:12px}.attempt{margin-bottom:1.5em}`;

/**
 * Polls the page's `#live` part (`?partial=1`) every second while the tab is visible, stopping
 * once the part says it is final; buttons POST to /api/* with the cluster token, asked for once
 * per tab (a custom Authorization header, so another site cannot make the browser send it).
 */
export const UI_JS = `'use strict';
(() => {
  const live = document.getElementById('live');
  let timer;
  async function refresh() {
    const r = await fetch(location.pathname + '?partial=1', { cache: 'no-store', credentials: 'same-origin' });
    if (r.ok) live.innerHTML = await r.text();
  }
  function schedule() {
    clearTimeout(timer);
    if (live.querySelector('[data-final]')) return;
    timer = setTimeout(async () => {
      if (!document.hidden) await refresh().catch(() => {});
      schedule();
    }, 1000);
  }
  document.addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-action]');
    if (!b || !confirm(b.dataset.confirm)) return;
    let token = sessionStorage.getItem('mr-token');
    for (let tries = 0; tries < 3; tries++) {
      const r = await fetch(b.dataset.action, { method: 'POST', headers: token ? { authorization: 'Bearer ' + token } : {} });
      if (r.status === 401) {
        token = prompt('Cluster token (MR_CLUSTER_TOKEN):');
        if (!token) return;
        sessionStorage.setItem('mr-token', token);
        continue;
      }
      if (!r.ok) alert((await r.json().catch(() => ({ error: { message: r.statusText } }))).error.message);
      await refresh().catch(() => {});
      schedule();
      return;
    }
  });
  schedule();
})();
`;
