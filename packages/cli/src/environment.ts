/**
 * The environment variables mr reads, for the "Environment" section of `--help`: all of them under
 * `mr --help`, and under each command those that change what it does (README "Environment").
 */
const VARIABLES = {
  MR_MASTER: 'the master (HOST:PORT) when --master is not given',
  MR_CLUSTER_TOKEN: "the cluster token (default: the cluster-token file in the master's data dir)",
  MR_TLS_CERT: "mutual TLS on gRPC: this process's certificate, PEM (a --tls-cert flag wins)",
  MR_TLS_KEY: 'its private key, PEM (a --tls-key flag wins)',
  MR_TLS_CA: 'the cluster CA, PEM (a --tls-ca flag wins); all three or none',
  MR_LOG_LEVEL: 'log level of master and workers: trace, debug, info (default), warn, error',
  MR_HOME: "the master's default data dir is $MR_HOME/master (default: $TMPDIR/mr-$USER/master)",
  'AWS_*': 's3:// credentials and region, as for the AWS CLI (AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_REGION, ...)',
  AWS_ENDPOINT_URL: 'an S3-compatible store (MinIO, LocalStack): its URL; path-style addressing (or AWS_ENDPOINT_URL_S3)',
  GRPC_VERBOSITY: "grpc-js's own diagnostics on stderr: DEBUG, INFO or ERROR (default: none)",
} as const;

type Variable = keyof typeof VARIABLES;

const TLS: Variable[] = ['MR_TLS_CERT', 'MR_TLS_KEY', 'MR_TLS_CA'];
/** A command that calls a standing cluster finds its master, token and the local master's dir (options.ts, master-client.ts). */
const CLIENT: Variable[] = ['MR_MASTER', 'MR_CLUSTER_TOKEN', ...TLS, 'MR_HOME'];
const S3: Variable[] = ['AWS_*', 'AWS_ENDPOINT_URL'];
/** A process of a cluster: the master and the workers read and write s3:// for jobs. */
const DAEMON: Variable[] = ['MR_CLUSTER_TOKEN', ...TLS, 'MR_LOG_LEVEL', 'MR_HOME', ...S3];

/** By top-level command: what its subcommands read too. */
const BY_COMMAND: Record<string, Variable[]> = {
  // an embedded cluster makes its own token; its logs go to files at MR_LOG_LEVEL
  run: [...TLS, 'MR_LOG_LEVEL', ...S3],
  master: DAEMON,
  worker: ['MR_MASTER', ...DAEMON],
  submit: [...CLIENT, ...S3],
  status: CLIENT,
  nodes: CLIENT,
  job: CLIENT,
  logs: CLIENT,
  fs: [...CLIENT, ...S3],
  gen: [...CLIENT, ...S3],
  validate: [...CLIENT, ...S3],
};

function section(names: readonly Variable[]): string {
  const width = Math.max(...names.map((n) => n.length));
  return ['', 'Environment:', ...names.map((n) => `  ${n.padEnd(width)}  ${VARIABLES[n]}`)].join('\n');
}

/** The "Environment" section for `mr --help` (every variable), or for a top-level command and its subcommands (undefined: it reads none). */
export function environmentHelp(command?: string): string | undefined {
  if (command === undefined) return section(Object.keys(VARIABLES) as Variable[]);
  const names = BY_COMMAND[command];
  return names && section([...names, 'GRPC_VERBOSITY']);
}
