import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockStoreView, JobView, NodeView } from '../views.js';

export interface StatusSource {
  jobs(): JobView[];
  nodes(): NodeView[];
  blockStore(): BlockStoreView;
  /** Prometheus text format (`/metrics`). */
  metrics(): Promise<{ contentType: string; body: string }>;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The status page and its JSON API as a plain handler (style.md: build the app apart from listen). */
export function createStatusHandler(src: StatusSource) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (url.pathname === '/api/jobs') return send(res, 200, 'application/json', JSON.stringify(src.jobs()));
    if (url.pathname === '/api/nodes') return send(res, 200, 'application/json', JSON.stringify(src.nodes()));
    if (url.pathname === '/api/blockstore') return send(res, 200, 'application/json', JSON.stringify(src.blockStore()));
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', renderPage(src.jobs(), src.nodes(), src.blockStore()));
    if (url.pathname === '/metrics') {
      return void src.metrics().then(
        (m) => send(res, 200, m.contentType, m.body),
        (e: unknown) => send(res, 500, 'text/plain', `metrics failed: ${(e as Error).message}\n`),
      );
    }
    return send(res, 404, 'text/plain', 'not found\n');
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function renderPage(jobs: JobView[], nodes: NodeView[], bs: BlockStoreView): string {
  const jobRows = jobs
    .slice()
    .reverse()
    .map((j) => {
      const c = j.counters;
      return `<tr><td>${esc(j.id)}</td><td>${esc(j.name)}</td><td class="${esc(j.state)}">${esc(j.state)}</td>
<td>${j.progress.mapsDone}/${j.progress.mapsTotal}</td><td>${j.progress.reducesDone}/${j.progress.reducesTotal}</td>
<td>${(j.elapsedMs / 1000).toFixed(1)} s</td><td>${esc(c.inputRecords ?? 0)}</td><td>${esc(c.outputRecords ?? 0)}</td>
<td>${esc(c.mapAttempts ?? 0)}/${esc(c.reduceAttempts ?? 0)}</td><td>${esc(j.error ?? '')}</td></tr>`;
    })
    .join('\n');
  const nodeRows = nodes
    .map((n) => `<tr><td>${esc(n.id)}</td><td>${esc(n.role)}</td><td>${esc(n.address)}</td><td class="${esc(n.state)}">${esc(n.state)}</td>
<td>${n.runningTasks}/${n.slots}</td><td>${esc(new Date(n.lastHeartbeatMs).toISOString())}</td></tr>`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>mr master</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.SUCCEEDED,.ALIVE{color:#080}.FAILED,.DEAD,.KILLED{color:#b00}.RUNNING{color:#05a}</style></head><body>
<h1>mr master</h1>
<h2>Jobs</h2><table><tr><th>id</th><th>job</th><th>state</th><th>maps</th><th>reduces</th><th>elapsed</th><th>input records</th><th>output records</th><th>attempts (map/reduce)</th><th>error</th></tr>
${jobRows || '<tr><td colspan="10">no jobs yet</td></tr>'}</table>
<h2>Nodes</h2><table><tr><th>id</th><th>role</th><th>address</th><th>state</th><th>running/slots</th><th>last heartbeat</th></tr>
${nodeRows || '<tr><td colspan="6">no workers yet</td></tr>'}</table>
<h2>Block store</h2><table><tr><th>files</th><th>directories</th><th>bytes</th><th>blocks</th><th>under-replicated</th><th>missing</th><th>corrupt replicas found</th></tr>
<tr><td>${bs.files}</td><td>${bs.directories}</td><td>${bs.bytes}</td><td>${bs.blocks}</td><td>${bs.underReplicatedBlocks}</td><td>${bs.missingBlocks}</td><td>${bs.corruptReplicas}</td></tr></table>
</body></html>`;
}
