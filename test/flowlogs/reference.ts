/**
 * Reference implementation of the `flowlogs` job (docs: docs/flowlogs.md), written
 * independently of packages/jobs as a test oracle. It is deliberately naive: read every line, keep
 * every accepted record in memory, group with a Map of arrays, compute each aggregate from the
 * whole list, sort everything. Clarity over speed.
 *
 * Rule numbers in comments refer to "Precise rules" in the spec.
 */

export interface RefFile {
  path: string;
  text: string;
}

export interface RefResult {
  lines: string[];
  counters: { inputRecords: number; badRecords: number; nodataRecords: number; skipdataRecords: number };
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// AWS field names (VPC Flow Logs "Available fields" table). Version 6 is Transit Gateway flow
// logs, which add no VPC flow log field.

export const V2_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
  'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
];
const V3_FIELDS = ['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr'];
const V4_FIELDS = ['region', 'az-id', 'sublocation-type', 'sublocation-id'];
const V5_FIELDS = ['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path'];
const V7_FIELDS = [
  'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn', 'ecs-container-instance-id',
  'ecs-container-id', 'ecs-second-container-id', 'ecs-service-name', 'ecs-task-definition-arn',
  'ecs-task-arn', 'ecs-task-id',
];
const V8_FIELDS = ['reject-reason'];

export const KNOWN_FIELDS = new Set([...V2_FIELDS, ...V3_FIELDS, ...V4_FIELDS, ...V5_FIELDS, ...V7_FIELDS, ...V8_FIELDS]);

/** Rule 4. */
export const NUMERIC_FIELDS = new Set(['version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'tcp-flags', 'traffic-path']);

export const PRESETS: Record<string, Record<string, string>> = {
  'top-talkers': { groupBy: 'srcaddr,dstaddr', agg: 'sum:bytes,sum:packets,count', top: '10', orderBy: 'sum_bytes' },
  'rejected-by-src': { where: 'action=REJECT', groupBy: 'srcaddr', agg: 'count', top: '20', orderBy: 'count' },
  'port-scan': { where: 'action=REJECT', groupBy: 'srcaddr', agg: 'distinct:dstport,count', having: 'distinct_dstport>=20' },
  'bytes-by-eni': { groupBy: 'interface-id', agg: 'sum:bytes,sum:packets' },
  'ssh-rdp': { where: 'dstport=22|3389', groupBy: 'srcaddr,dstport,action', agg: 'count' },
};

const KNOWN_PARAMS = new Set(['preset', 'fields', 'groupBy', 'where', 'agg', 'having', 'top', 'orderBy', 'maxBadFraction']);

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Rule 4: a number is digits only. */
function isNumber(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Splits a comma list, trimming items; an empty item is a query error. */
function splitList(name: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) if (item === '') throw new Error(`${name}: empty item in "${value}"`);
  return items;
}

function checkField(where: string, field: string): void {
  if (!KNOWN_FIELDS.has(field)) throw new Error(`${where}: unknown field "${field}"`);
}

/** Splits file text into lines: on LF, a final empty string after a trailing LF is not a line. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const CLOUDWATCH_PREFIX = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?(Z|[+-][0-9]{2}:[0-9]{2})? /;

/** Rules 1 and 2: drop a trailing CR, the surrounding spaces, then a CloudWatch timestamp prefix. */
export function cleanLine(raw: string): string {
  let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  line = trimSpaces(line);
  line = line.replace(CLOUDWATCH_PREFIX, '');
  return trimSpaces(line);
}

function trimSpaces(s: string): string {
  return s.replace(/^ +/, '').replace(/ +$/, '');
}

function tokensOf(line: string): string[] {
  return line === '' ? [] : line.split(/ +/);
}

// ---------------------------------------------------------------------------------------------
// Query

type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';

interface Cond {
  field: string;
  op: Op;
  values: string[];
}

interface Agg {
  kind: 'count' | 'sum' | 'min' | 'max' | 'distinct';
  field: string; // '' for count
  column: string;
}

interface Having {
  column: string;
  op: Op;
  value: bigint;
}

interface Query {
  fields: string[] | undefined;
  groupBy: string[];
  where: Cond[];
  aggs: Agg[];
  having: Having[];
  top: number | undefined;
  orderBy: string | undefined;
  maxBadFraction: number;
}

const COND_RE = /^\s*([^\s=!<>]+)\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$/;

/** Rule 11: the preset's values, replaced by any explicit param; an empty value means unset. */
export function effectiveParams(params: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(params)) if (!KNOWN_PARAMS.has(name)) throw new Error(`unknown param "${name}"`);
  let merged: Record<string, string> = {};
  const presetName = params.preset ?? '';
  if (presetName !== '') {
    const preset = PRESETS[presetName];
    if (!preset) throw new Error(`unknown preset "${presetName}"`);
    merged = { ...preset };
  }
  for (const [name, value] of Object.entries(params)) if (name !== 'preset') merged[name] = value;
  for (const name of Object.keys(merged)) if (merged[name] === '') delete merged[name];
  return merged;
}

function parseQuery(params: Record<string, string>): Query {
  const p = effectiveParams(params);

  let fields: string[] | undefined;
  if (p.fields !== undefined) {
    fields = splitList('fields', p.fields);
    for (const f of fields) checkField('fields', f);
  }

  if (p.groupBy === undefined) throw new Error('groupBy is required (or a preset)');
  const groupBy = splitList('groupBy', p.groupBy);
  for (const f of groupBy) checkField('groupBy', f);

  const where: Cond[] = [];
  for (const text of (p.where ?? '').split(';')) {
    if (text.trim() === '') continue;
    const m = COND_RE.exec(text);
    if (!m) throw new Error(`where: cannot parse "${text}"`);
    const field = m[1]!;
    const op = m[2]! as Op;
    checkField('where', field);
    const values = m[3]!.split('|').map((v) => v.trim());
    if (NUMERIC_FIELDS.has(field)) {
      for (const v of values) if (!isNumber(v)) throw new Error(`where: "${v}" is not a number for numeric field ${field}`);
    }
    where.push({ field, op, values });
  }

  const aggs: Agg[] = [];
  for (const item of splitList('agg', p.agg ?? 'count')) {
    if (item === 'count') {
      aggs.push({ kind: 'count', field: '', column: 'count' });
      continue;
    }
    const m = /^(sum|min|max|distinct):(.+)$/.exec(item);
    if (!m) throw new Error(`agg: cannot parse "${item}"`);
    const kind = m[1]! as Agg['kind'];
    const field = m[2]!.trim();
    checkField('agg', field);
    if (kind === 'sum' && !NUMERIC_FIELDS.has(field)) throw new Error(`agg: sum of non-numeric field ${field}`);
    aggs.push({ kind, field, column: `${kind}_${field}` });
  }

  const columns = new Set([...groupBy, ...aggs.map((a) => a.column)]);

  const having: Having[] = [];
  for (const text of (p.having ?? '').split(';')) {
    if (text.trim() === '') continue;
    const m = COND_RE.exec(text);
    if (!m) throw new Error(`having: cannot parse "${text}"`);
    const column = m[1]!;
    if (!columns.has(column)) throw new Error(`having: unknown column "${column}"`);
    if (!isNumber(m[3]!)) throw new Error(`having: "${m[3]}" is not a number`);
    having.push({ column, op: m[2]! as Op, value: BigInt(m[3]!) });
  }

  let top: number | undefined;
  let orderBy: string | undefined;
  if (p.top !== undefined) {
    if (!isNumber(p.top)) throw new Error(`top: "${p.top}" is not a number`);
    top = Number(p.top);
    orderBy = p.orderBy;
    if (orderBy === undefined) throw new Error('top without orderBy');
    if (!columns.has(orderBy)) throw new Error(`orderBy: unknown column "${orderBy}"`);
  }

  let maxBadFraction = 0.1;
  if (p.maxBadFraction !== undefined) {
    if (!/^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(p.maxBadFraction)) throw new Error(`maxBadFraction: "${p.maxBadFraction}" is not a number`);
    maxBadFraction = Number(p.maxBadFraction);
  }

  return { fields, groupBy, where, aggs, having, top, orderBy, maxBadFraction };
}

// ---------------------------------------------------------------------------------------------
// Records

/** A record maps every field of its file's format to its token; other fields read as '-' (rule 6). */
type Record_ = Map<string, string>;

function get(rec: Record_, field: string): string {
  return rec.get(field) ?? '-';
}

function compareOp(c: number, op: Op): boolean {
  switch (op) {
    case '=': return c === 0;
    case '!=': return c !== 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
  }
}

/** Rule 7. */
function satisfies(rec: Record_, cond: Cond): boolean {
  const v = get(rec, cond.field);
  if (v === '-') return false;
  const compare = (x: string): number => (NUMERIC_FIELDS.has(cond.field) ? compareBigInt(BigInt(v), BigInt(x)) : compareBytes(v, x));
  if (cond.op === '!=') return cond.values.every((x) => compare(x) !== 0);
  return cond.values.some((x) => compareOp(compare(x), cond.op));
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/** Rule 8. Returns the printed value of one aggregate over the records of one group. */
function aggregate(agg: Agg, recs: Record_[]): string {
  if (agg.kind === 'count') return String(recs.length);
  const values = recs.map((r) => get(r, agg.field)).filter((v) => v !== '-');
  const numeric = NUMERIC_FIELDS.has(agg.field);
  if (agg.kind === 'sum') {
    let total = 0n;
    for (const v of values) total += BigInt(v);
    return total.toString();
  }
  if (agg.kind === 'distinct') {
    const seen = new Set(values.map((v) => (numeric ? BigInt(v).toString() : v)));
    return String(seen.size);
  }
  // min / max
  if (values.length === 0) return '-';
  if (numeric) {
    const sorted = values.map((v) => BigInt(v)).sort(compareBigInt);
    return (agg.kind === 'min' ? sorted[0]! : sorted[sorted.length - 1]!).toString();
  }
  const sorted = [...values].sort(compareBytes);
  return agg.kind === 'min' ? sorted[0]! : sorted[sorted.length - 1]!;
}

/** Whether an output column holds numbers (ordering by it compares numerically). */
function isNumericColumn(q: Query, column: string): boolean {
  if (q.groupBy.includes(column)) return NUMERIC_FIELDS.has(column);
  const agg = q.aggs.find((a) => a.column === column)!;
  if (agg.kind === 'min' || agg.kind === 'max') return NUMERIC_FIELDS.has(agg.field);
  return true;
}

interface Group {
  key: string;
  values: string[]; // group values then aggregate values, in output order
  column: Map<string, string>; // column name -> value (first occurrence)
}

// ---------------------------------------------------------------------------------------------

export function referenceFlowlogs(files: RefFile[], params: Record<string, string>): RefResult {
  const q = parseQuery(params);
  const counters = { inputRecords: 0, badRecords: 0, nodataRecords: 0, skipdataRecords: 0 };
  let nonHeaderLines = 0;
  let firstBad: { path: string; line: number } | undefined;
  const accepted: Record_[] = [];

  const sortedFiles = [...files].sort((a, b) => compareBytes(a.path, b.path));
  for (const file of sortedFiles) {
    const lines = splitLines(file.text);
    // Rule 3: precedence header, then `fields`, then v2.
    let format = q.fields ?? V2_FIELDS;
    for (let i = 0; i < lines.length; i++) {
      counters.inputRecords++;
      const line = cleanLine(lines[i]!);
      const tokens = tokensOf(line);

      if (i === 0 && tokens.length > 0 && tokens.every((t) => KNOWN_FIELDS.has(t))) {
        format = tokens;
        continue;
      }
      nonHeaderLines++;

      // Rules 4 and 5: blank line, field count, numbers.
      let bad = tokens.length === 0 || tokens.length !== format.length;
      if (!bad) {
        for (let j = 0; j < format.length; j++) {
          const t = tokens[j]!;
          if (NUMERIC_FIELDS.has(format[j]!) && t !== '-' && !isNumber(t)) bad = true;
        }
      }
      if (bad) {
        counters.badRecords++;
        if (firstBad === undefined) firstBad = { path: file.path, line: i + 1 };
        continue;
      }

      const rec: Record_ = new Map();
      for (let j = 0; j < format.length; j++) if (!rec.has(format[j]!)) rec.set(format[j]!, tokens[j]!);

      const status = get(rec, 'log-status');
      if (status === 'NODATA') {
        counters.nodataRecords++;
        continue;
      }
      if (status === 'SKIPDATA') {
        counters.skipdataRecords++;
        continue;
      }

      if (q.where.every((c) => satisfies(rec, c))) accepted.push(rec);
    }
  }

  // Rule 10.
  if (counters.badRecords > 0 && counters.badRecords / nonHeaderLines > q.maxBadFraction) {
    return {
      lines: [],
      counters,
      error: `flowlogs: ${counters.badRecords} bad records of ${nonHeaderLines} lines exceed maxBadFraction=${q.maxBadFraction}; first bad record: ${firstBad!.path} line ${firstBad!.line}`,
    };
  }

  // Group.
  const byKey = new Map<string, Record_[]>();
  for (const rec of accepted) {
    const key = q.groupBy.map((f) => get(rec, f)).join('\t');
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(rec);
  }

  let groups: Group[] = [];
  for (const [key, recs] of byKey) {
    const groupValues = q.groupBy.map((f) => get(recs[0]!, f));
    const aggValues = q.aggs.map((a) => aggregate(a, recs));
    const column = new Map<string, string>();
    q.groupBy.forEach((f, i) => { if (!column.has(f)) column.set(f, groupValues[i]!); });
    q.aggs.forEach((a, i) => { if (!column.has(a.column)) column.set(a.column, aggValues[i]!); });
    groups.push({ key, values: [...groupValues, ...aggValues], column });
  }

  // Rule 9: having, compared as numbers; '-' (or any non-number) fails.
  groups = groups.filter((g) => q.having.every((h) => {
    const v = g.column.get(h.column)!;
    return isNumber(v) && compareOp(compareBigInt(BigInt(v), h.value), h.op);
  }));

  groups.sort((a, b) => compareBytes(a.key, b.key));

  if (q.top !== undefined) {
    const col = q.orderBy!;
    const numeric = isNumericColumn(q, col);
    const compareDesc = (a: Group, b: Group): number => {
      const x = a.column.get(col)!;
      const y = b.column.get(col)!;
      if (x !== y) {
        if (x === '-') return 1; // '-' ranks lowest
        if (y === '-') return -1;
        const c = numeric ? compareBigInt(BigInt(x), BigInt(y)) : compareBytes(x, y);
        if (c !== 0) return -c;
      }
      return compareBytes(a.key, b.key);
    };
    groups.sort(compareDesc);
    groups = groups.slice(0, q.top);
  }

  return { lines: groups.map((g) => g.values.join('\t')), counters };
}
