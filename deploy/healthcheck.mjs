#!/usr/bin/env node
/**
 * Health check of an mr process, for docker compose `healthcheck:` (the image has no curl) and
 * Kubernetes exec probes where its native httpGet/grpc probes do not fit:
 *
 *   node deploy/healthcheck.mjs http://127.0.0.1:8088/readyz            the master: 2xx is healthy
 *   node deploy/healthcheck.mjs grpc://127.0.0.1:7071[/SERVICE]          a worker: grpc.health.v1 Check,
 *                                                                       SERVING is healthy ('' = liveness,
 *                                                                       'readiness' = registered, not draining)
 *
 * Exit 0 healthy; 1 not, with one line on stderr saying why; 2 a bad argument. Bounded: 3 s.
 */
import { createRequire } from 'node:module';

const TIMEOUT_MS = 3_000;
const fail = (code, message) => {
  process.stderr.write(`healthcheck: ${message}\n`);
  process.exit(code);
};

async function http(url) {
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    return `${url}: ${e.cause?.code ?? e.message}`;
  }
  const body = (await res.text()).trim().split('\n')[0];
  return res.ok ? undefined : `${url}: HTTP ${res.status} ${body}`;
}

async function grpcHealth(url) {
  // resolved from the image's /app/node_modules (the worker depends on grpc-health-check)
  const require = createRequire(import.meta.url);
  const grpc = require('@grpc/grpc-js');
  const { loadSync } = require('@grpc/proto-loader');
  const { protoPath } = require('grpc-health-check');
  const { Health } = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String })).grpc.health.v1;
  const client = new Health(url.host, grpc.credentials.createInsecure());
  const service = decodeURIComponent(url.pathname.replace(/^\//, ''));
  try {
    const status = await new Promise((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + TIMEOUT_MS }, (err, res) => (err ? reject(err) : resolve(res.status))),
    );
    return status === 'SERVING' ? undefined : `${url.host} service '${service}': ${status}`;
  } catch (e) {
    return `${url.host} service '${service}': ${e.details || e.message}`;
  } finally {
    client.close();
  }
}

const arg = process.argv[2];
let url;
try {
  url = new URL(arg ?? '');
} catch {
  fail(2, `usage: healthcheck.mjs http://HOST:PORT/PATH | grpc://HOST:PORT[/SERVICE] (got '${arg ?? ''}')`);
}
if (!['http:', 'https:', 'grpc:'].includes(url.protocol)) fail(2, `'${arg}': use http://, https:// or grpc://`);
const problem = url.protocol === 'grpc:' ? await grpcHealth(url) : await http(url.href);
if (problem) fail(1, problem);
