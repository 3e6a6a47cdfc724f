import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameToken, toMrError } from '@mr/shared';
import type { JobLogsView } from '../logs.js';
import type { BlockStoreView, FileView, JobDetailView, JobView, NodeDetailView, NodeView } from '../views.js';
import { blockStorePage, jobPage, layout, logsPage, notFoundPage, overview, UI_CSS, UI_JS } from './pages.js';

/** What the web UI, its JSON API and /metrics read and do (the master wires them to its state). */
export interface UiSource {
  jobs(): JobView[];
  job(id: string): JobDetailView | undefined;
  /** The job's failed and killed attempts with their errors, stacks and output (`mr logs`); undefined: no such job. */
  logs(id: string, taskId?: string): JobLogsView | undefined;
  nodes(): NodeDetailView[];
  blockStore(): BlockStoreView;
  files(limit: number): { files: FileView[]; total: number };
  /** Prometheus text format (`/metrics`). */
  metrics(): Promise<{ contentType: string; body: string }>;
  killJob(id: string): Promise<JobView>;
  drainNode(id: string): Promise<NodeView>;
  /** What /readyz answers; absent: always ready (the server listens only once the master is up). */
  readiness?(): Readiness;
}

/** Whether the master takes workers and jobs now; `reason` says why not. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

/**
 * `open`: anyone who can reach the HTTP port may read (pages, /api GETs, /metrics); `token`: reads
 * need the cluster token too. Changes (kill, drain) always need it.
 */
export type UiAuth = 'open' | 'token';

export interface UiOptions {
  token: string;
  auth: UiAuth;
  /**
   * Bound to a loopback address: only requests that name a loopback host are answered, so a page
   * on another site whose name was rebound to 127.0.0.1 (DNS rebinding) cannot read the UI.
   */
  loopbackOnly?: boolean;
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

class BadRequest extends Error {}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new BadRequest(`malformed percent-encoding in '${part}'`);
  }
}

/** Files listed on the block store page (the API takes `?limit=`, up to 10000). */
const PAGE_FILES = 1000;

/** The web UI and its JSON API as a plain handler (style.md: build the app apart from listen). */
export function createUiHandler(src: UiSource, opts: UiOptions) {
  const handle = route(src, opts);
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handle(req, res);
    } catch (e) {
      // a throw here would end the master: answer it instead
      if (res.headersSent) res.destroy();
      else if (e instanceof BadRequest) json(res, 400, { error: { code: 'MR_ERR_USAGE', message: e.message } });
      else sendError(res, e);
    }
  };
}

function route(src: UiSource, opts: UiOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (opts.loopbackOnly && !LOOPBACK_HOST.test(req.headers.host ?? '')) {
      return json(res, 421, { error: { code: 'MR_ERR_USAGE', message: `this master's UI answers only to localhost or 127.0.0.1, not '${req.headers.host ?? ''}' (bind it to another address to serve others)` } });
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const post = /^\/api\/(jobs|nodes)\/([^/]+)\/(kill|drain)$/.exec(path);
    if (req.method === 'POST' && post) {
      // only a header a page cannot make another site's browser send: no cookies, no Basic auth (CSRF)
      if (!presented(req, false, opts.token)) return unauthorized(res, false);
      const [, kind, rawId, verb] = post;
      const id = decodePart(rawId!);
      const run = kind === 'jobs' && verb === 'kill' ? src.killJob(id) : kind === 'nodes' && verb === 'drain' ? src.drainNode(id) : undefined;
      if (!run) return json(res, 404, { error: { code: 'MR_ERR_USAGE', message: `no such action: POST ${path}` } });
      return void run.then((v) => json(res, 200, v), (e: unknown) => sendError(res, e));
    }
    if (post || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.setHeader('allow', post ? 'POST' : 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    // probes (Kubernetes, docker compose): before the --ui-auth check, a kubelet has no token to
    // send; they tell nothing but up or not. /healthz: the process answers (liveness); /readyz: it
    // takes workers and jobs (it replayed its journal and listens on gRPC) and is not stopping.
    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/readyz') {
      const r = src.readiness?.() ?? { ready: true };
      return r.ready ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', `not ready: ${r.reason ?? 'unknown'}\n`);
    }
    if (path === '/ui.css') return send(res, 200, 'text/css', UI_CSS);
    if (path === '/ui.js') return send(res, 200, 'text/javascript', UI_JS);
    if (opts.auth === 'token' && !presented(req, true, opts.token)) return unauthorized(res, true);

    if (path === '/api/jobs') return json(res, 200, src.jobs());
    if (path === '/api/nodes') return json(res, 200, src.nodes());
    if (path === '/api/blockstore') return json(res, 200, src.blockStore());
    if (path === '/api/blockstore/files') {
      const limit = Math.min(10_000, Math.max(1, Number(url.searchParams.get('limit')) || PAGE_FILES));
      return json(res, 200, src.files(limit));
    }
    const apiLogs = /^\/api\/jobs\/([^/]+)\/logs$/.exec(path);
    if (apiLogs) {
      const id = decodePart(apiLogs[1]!);
      const l = src.logs(id, url.searchParams.get('task') ?? undefined);
      return l ? json(res, 200, l) : json(res, 404, { error: { code: 'MR_ERR_JOB_NOT_FOUND', message: `no job ${id}` } });
    }
    const apiJob = /^\/api\/jobs\/([^/]+)$/.exec(path);
    if (apiJob) {
      const id = decodePart(apiJob[1]!);
      const j = src.job(id);
      return j ? json(res, 200, j) : json(res, 404, { error: { code: 'MR_ERR_JOB_NOT_FOUND', message: `no job ${id}` } });
    }
    if (path === '/metrics') {
      return void src.metrics().then(
        (m) => send(res, 200, m.contentType, m.body),
        (e: unknown) => send(res, 500, 'text/plain', `metrics failed: ${(e as Error).message}\n`),
      );
    }

    const partial = url.searchParams.has('partial');
    const page = (status: number, title: string, live: string) =>
      send(res, status, 'text/html; charset=utf-8', partial ? live : layout(title, live));
    if (path === '/') return page(200, 'jobs & nodes', overview(src.jobs(), src.nodes(), src.blockStore()));
    if (path === '/blockstore') {
      const { files, total } = src.files(PAGE_FILES);
      return page(200, 'block store', blockStorePage(src.blockStore(), files, total));
    }
    const logsMatch = /^\/jobs\/([^/]+)\/logs$/.exec(path);
    if (logsMatch) {
      const id = decodePart(logsMatch[1]!);
      const l = src.logs(id);
      return l ? page(200, `${id} logs`, logsPage(l)) : page(404, 'not found', notFoundPage(`no job ${id}`));
    }
    const jobMatch = /^\/jobs\/([^/]+)$/.exec(path);
    if (jobMatch) {
      const id = decodePart(jobMatch[1]!);
      const j = src.job(id);
      return j ? page(200, id, jobPage(j)) : page(404, 'not found', notFoundPage(`no job ${id}`));
    }
    return send(res, 404, 'text/plain', 'not found\n');
  };
}

/** The cluster token from `x-mr-token`, `Authorization: Bearer`, or (reads only) Basic auth's password. */
function presented(req: IncomingMessage, allowBasic: boolean, token: string): boolean {
  const header = req.headers['x-mr-token'];
  if (typeof header === 'string') return sameToken(header, token);
  const auth = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
  if (bearer) return sameToken(bearer[1]!, token);
  const basic = /^Basic\s+(\S+)$/i.exec(auth);
  if (basic && allowBasic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return sameToken(decoded.slice(decoded.indexOf(':') + 1), token);
  }
  return false;
}

function unauthorized(res: ServerResponse, basic: boolean): void {
  // a browser asks for Basic credentials (any user name, the token as password) for reads
  if (basic) res.setHeader('www-authenticate', 'Basic realm="mr cluster (password: the cluster token)", charset="UTF-8"');
  json(res, 401, { error: { code: 'MR_ERR_UNAUTHENTICATED', message: 'missing or wrong cluster token (MR_CLUSTER_TOKEN)' } });
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = toMrError(e);
  const status = err.code === 'MR_ERR_JOB_NOT_FOUND' || err.code === 'MR_ERR_NODE_NOT_FOUND' || err.code === 'MR_ERR_TASK_NOT_FOUND' ? 404
    : err.code === 'MR_ERR_USAGE' || err.code === 'MR_ERR_JOB_ENDED' ? 409 : 500;
  json(res, status, { error: { code: err.code, message: err.message } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // scripts and styles only from this server: nothing a job name or error message holds can run
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}
