/**
 * A query or `--param` problem found at submit. One line that names the offending part; the
 * job's `params` hook lets it reach the CLI, which reports it as a usage error.
 */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}
