import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromServiceError } from './status.js';

/** A client error as grpc-js 1.14 reports it (the details strings are copied from real failures). */
const failed = (code: grpc.status, details: string) => Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
const peer = 'the master at 127.0.0.1:7070';

describe('a call that got no answer, in plain words (never grpc-js internals)', () => {
  it.each([
    ['refused', grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7070. Resolution note: ', 'connection refused'],
    ['refused over IPv6', grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED ::1:7070. Resolution note: ', 'connection refused'],
    ['an unknown host', grpc.status.UNAVAILABLE, 'Name resolution failed for target dns:nosuchhost.invalid:7070', 'host not found'],
    ['no connection before the deadline', grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 10.000s,name resolution: 0.021s,metadata filters: 0.002s,Waiting for LB pick', 'timed out: no connection within 10 s'],
    ['connected, no answer', grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 2.001s,name resolution: 0.023s,metadata filters: 0.001s,LB pick: 0.011s,remote_addr=127.0.0.1:39697', 'timed out: no answer within 2 s'],
    ['a connect timeout', grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ETIMEDOUT 10.0.0.1:7070. Resolution note: ', 'connection timed out'],
    ['an HTTP/1 server (the web UI port)', grpc.status.UNAVAILABLE, 'No connection established. Last error: Protocol error (2026-12-08T01:58:18.920Z). Resolution note: ', 'it does not speak gRPC: an HTTP port?'],
    ['something else', grpc.status.UNAVAILABLE, 'No connection established. Last error: Something new (2026-12-08T01:58:18.920Z). Resolution note: ', 'connection failed'],
  ])('%s', (_, code, details, words) => {
    const e = fromServiceError(failed(code, details), peer, false);
    expect([e.code, e.message]).toEqual(['MR_ERR_UNREACHABLE', `cannot reach ${peer} (${words})`]);
  });

  it('an address that serves something else: says so, not the method path', () => {
    expect(fromServiceError(failed(grpc.status.UNIMPLEMENTED, 'The server does not implement the method /mr.v1.Master/ListNodes'), peer).message)
      .toBe(`cannot reach ${peer} (it does not serve Master.ListNodes: the wrong port, or another mr version)`);
    expect(fromServiceError(failed(grpc.status.UNIMPLEMENTED, 'Received HTTP status code 404'), peer).message)
      .toBe(`cannot reach ${peer} (it answered HTTP 404, not gRPC: not an mr port)`);
  });

  it('a TLS mismatch keeps its own explanation', () => {
    const e = fromServiceError(failed(grpc.status.UNAVAILABLE, 'No connection established. Last error: Failed to connect (2026-12-08T01:58:18.915Z). Resolution note: '), peer, false);
    expect(e.message).toMatch(/^cannot reach the master at 127\.0\.0\.1:7070: it closed the connection at setup: it probably requires TLS/);
  });

  it('the coded error a server sent wins over the transport status', () => {
    const md = new grpc.Metadata();
    md.set('x-mr-error-code', 'MR_ERR_JOB_NOT_FOUND');
    const e = fromServiceError(Object.assign(failed(grpc.status.NOT_FOUND, 'no job job-x'), { metadata: md }), peer);
    expect([e.code, e.message]).toEqual(['MR_ERR_JOB_NOT_FOUND', 'no job job-x']);
  });
});
