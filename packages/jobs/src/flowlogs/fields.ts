/**
 * AWS VPC Flow Log field names (flowlogs.md "Input"; AWS "Flow log records", versions 2-8).
 * Names are AWS's own, hyphens included, so a header line or a copied custom format just works.
 */

/** The default format: all version 2 fields, in AWS's order (used when a file has no header and no `fields`). */
export const V2_FIELDS: readonly string[] = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
  'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
];

/** Every field of versions 2-8; a first line made only of these is a header (rule 3). */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  ...V2_FIELDS,
  // v3
  'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr',
  // v4
  'region', 'az-id', 'sublocation-type', 'sublocation-id',
  // v5
  'pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path',
  // v7 (v6 added no field)
  'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn', 'ecs-container-instance-id',
  'ecs-container-id', 'ecs-second-container-id', 'ecs-service-name', 'ecs-task-definition-arn',
  'ecs-task-arn', 'ecs-task-id',
  // v8
  'reject-reason',
]);

/**
 * Rule 4: fields whose values must be digits only (or `-`). `account-id` is text: AWS writes
 * `unknown` there for some ENIs.
 */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'tcp-flags', 'traffic-path',
]);
