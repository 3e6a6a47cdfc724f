/**
 * Test PKI made with the openssl CLI, as the README tells operators to: a cluster CA, a node
 * certificate it signs (SAN IP:127.0.0.1 and DNS:localhost, usable as server and client), and a
 * foreign CA with a certificate of its own, for the refused cases. EC P-256 keys: fast to make.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface TestCerts {
  /** The cluster CA's certificate (what --tls-ca names). */
  ca: string;
  /** Signed by the cluster CA. */
  node: CertPair;
  foreignCa: string;
  /** Signed by the foreign CA. */
  foreign: CertPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeLeaf(dir: string, name: string, ca: string, serial: number): CertPair {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(serial), '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

export function makeTestCerts(dir: string): TestCerts {
  makeCa(dir, 'cluster-ca');
  makeCa(dir, 'foreign-ca');
  return {
    ca: join(dir, 'cluster-ca.pem'),
    node: makeLeaf(dir, 'node', 'cluster-ca', 1001),
    foreignCa: join(dir, 'foreign-ca.pem'),
    foreign: makeLeaf(dir, 'foreign-node', 'foreign-ca', 2001),
  };
}

/** MR_TLS_* for a process that should use `pair` and trust `ca`. */
export function tlsEnv(pair: CertPair, ca: string): NodeJS.ProcessEnv {
  return { MR_TLS_CERT: pair.cert, MR_TLS_KEY: pair.key, MR_TLS_CA: ca };
}
