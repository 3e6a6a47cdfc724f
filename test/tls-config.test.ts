/**
 * TLS settings (packages/shared/src/rpc/tls.ts): --tls-cert/--tls-key/--tls-ca, else MR_TLS_*,
 * all three or none, every file readable PEM; and the readable reasons given for handshake errors.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTlsConfig, MrError, tlsArgs, tlsFailure } from '../packages/shared/src/index.js';
import { makeTestCerts } from './e2e/helpers/certs.js';
import { tempDir } from './e2e/helpers/procs.js';

const dir = tempDir('mr-tls-unit-');
const certs = makeTestCerts(dir);
const env = { MR_TLS_CERT: certs.node.cert, MR_TLS_KEY: certs.node.key, MR_TLS_CA: certs.ca };

function thrown(f: () => unknown): MrError {
  try {
    f();
  } catch (e) {
    if (MrError.is(e)) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('TLS settings: flags, MR_TLS_* and their checks', () => {
  it('none given: plaintext (undefined); empty variables count as not set', () => {
    expect(loadTlsConfig({}, {})).toBeUndefined();
    expect(loadTlsConfig({ cert: '', key: '', ca: '' }, { MR_TLS_CERT: '', MR_TLS_KEY: '', MR_TLS_CA: '' })).toBeUndefined();
  });

  it('all three from MR_TLS_*: loaded once, with absolute paths for child processes', () => {
    const tls = loadTlsConfig({}, env)!;
    expect(tls.files).toEqual({ cert: certs.node.cert, key: certs.node.key, ca: certs.ca });
    expect(tls.cert.toString()).toMatch(/BEGIN CERTIFICATE/);
    expect(tls.key.toString()).toMatch(/PRIVATE KEY/);
    expect(tlsArgs(tls)).toEqual(['--tls-cert', certs.node.cert, '--tls-key', certs.node.key, '--tls-ca', certs.ca]);
    expect(tlsArgs(undefined)).toEqual([]);
  });

  it('a partial set is a usage error (exit 2), one line naming what is missing', () => {
    const onlyCert = thrown(() => loadTlsConfig({}, { MR_TLS_CERT: certs.node.cert }));
    expect([onlyCert.code, onlyCert.exitCode]).toEqual(['MR_ERR_USAGE', 2]);
    expect(onlyCert.message).not.toContain('\n');
    expect(onlyCert.message).toMatch(/MR_TLS_CERT given, --tls-key\/MR_TLS_KEY, --tls-ca\/MR_TLS_CA missing/);

    const twoFlags = thrown(() => loadTlsConfig({ cert: certs.node.cert, key: certs.node.key }, {}));
    expect([twoFlags.code, twoFlags.exitCode]).toEqual(['MR_ERR_USAGE', 2]);
    expect(twoFlags.message).toMatch(/--tls-cert, --tls-key given, --tls-ca\/MR_TLS_CA missing/);
  });

  it('flags win over MR_TLS_*, file by file', () => {
    const badEnv = { MR_TLS_CERT: '/no/such/cert.pem', MR_TLS_KEY: '/no/such/key.pem', MR_TLS_CA: certs.ca };
    const tls = loadTlsConfig({ cert: certs.node.cert, key: certs.node.key }, badEnv)!;
    expect(tls.files).toEqual({ cert: certs.node.cert, key: certs.node.key, ca: certs.ca });
    const other = loadTlsConfig({ ca: certs.foreignCa }, env)!;
    expect(other.files.ca).toBe(certs.foreignCa);
  });

  it('an unreadable file: MR_ERR_TLS (exit 1) naming the file and where it was given', () => {
    const e = thrown(() => loadTlsConfig({ ca: join(dir, 'missing-ca.pem') }, env));
    expect([e.code, e.exitCode]).toEqual(['MR_ERR_TLS', 1]);
    expect(e.message).toBe(`cannot read the TLS CA certificate ${join(dir, 'missing-ca.pem')} (--tls-ca): no such file`);
  });

  it('a file that is not PEM, or a key that is not the certificate\'s: MR_ERR_TLS naming the files', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(thrown(() => loadTlsConfig({ cert: junk }, env)).message).toBe(`${junk} (--tls-cert) is not a PEM certificate`);
    expect(thrown(() => loadTlsConfig({ key: junk }, env)).message).toBe(`${junk} (--tls-key) is not an unencrypted PEM private key`);
    const mismatch = thrown(() => loadTlsConfig({ key: certs.foreign.key }, env));
    expect([mismatch.code, mismatch.message]).toEqual(['MR_ERR_TLS', `${certs.foreign.key} (--tls-key) is not the private key of ${certs.node.cert} (MR_TLS_CERT)`]);
  });
});

describe('handshake errors made readable', () => {
  // what grpc-js 1.14 reports (UNAVAILABLE details) in each case
  const grpcSays = (last: string) => `No connection established. Last error: ${last} (2026-01-01T00:00:00.000Z). Resolution note: `;

  it('the server certificate from another CA, a plaintext peer, a closed handshake', () => {
    expect(tlsFailure(grpcSays('Error: self-signed certificate in certificate chain'), true)).toEqual({
      code: 'MR_ERR_TLS', reason: 'its certificate is not signed by the cluster CA (--tls-ca / MR_TLS_CA)',
    });
    const wrongVersion = 'No connection established. Last error: Error: 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n. Resolution note: ';
    expect(tlsFailure(wrongVersion, true)?.reason).toMatch(/^it does not use TLS/);
    expect(tlsFailure(grpcSays('Failed to connect'), true)).toEqual({
      code: 'MR_ERR_TLS', reason: 'it closed the connection during the handshake: it refused our certificate (not signed by the cluster CA?)',
    });
    expect(tlsFailure(grpcSays('Failed to connect'), false)?.code).toBe('MR_ERR_UNREACHABLE');
    expect(tlsFailure(grpcSays('Failed to connect'), false)?.reason).toMatch(/probably requires TLS \(set MR_TLS_CERT, MR_TLS_KEY and MR_TLS_CA/);
  });

  it('not a TLS problem: undefined', () => {
    expect(tlsFailure(grpcSays('Error: connect ECONNREFUSED 127.0.0.1:1'), true)).toBeUndefined();
    expect(tlsFailure('Deadline exceeded', false)).toBeUndefined();
  });
});
