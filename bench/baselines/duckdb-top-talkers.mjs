// The top-talkers baseline: DuckDB, 2 threads, the same query as `mr run flowlogs
// --param preset=top-talkers` on the same v2 files (NODATA and SKIPDATA records left out).
//   node bench/baselines/duckdb-top-talkers.mjs DIR   -> {"ms": N, "lines": ["src\tdst\tbytes\tpackets\tcount", ..]}
// (ms: opening DuckDB and running the query, not Node's start or loading the module)
import { DuckDBInstance } from '@duckdb/node-api';

const V2 = {
  version: 'INTEGER', account_id: 'VARCHAR', interface_id: 'VARCHAR', srcaddr: 'VARCHAR', dstaddr: 'VARCHAR',
  srcport: 'INTEGER', dstport: 'INTEGER', protocol: 'INTEGER', packets: 'BIGINT', bytes: 'BIGINT',
  start: 'BIGINT', end: 'BIGINT', action: 'VARCHAR', log_status: 'VARCHAR',
};

const sql = (dir) => `
  SELECT srcaddr, dstaddr, sum(bytes) AS sum_bytes, sum(packets) AS sum_packets, count(*) AS count
  FROM read_csv('${dir.replaceAll("'", "''")}/**/*.log', delim = ' ', header = false, auto_detect = false,
                quote = '', escape = '', nullstr = '-', columns = ${structOf(V2)})
  WHERE log_status NOT IN ('NODATA', 'SKIPDATA')
  GROUP BY srcaddr, dstaddr
  ORDER BY sum_bytes DESC, srcaddr || chr(9) || dstaddr ASC
  LIMIT 10`;

function structOf(columns) {
  return `{${Object.entries(columns).map(([k, t]) => `'${k}': '${t}'`).join(', ')}}`;
}

const dir = process.argv[2];
const t0 = performance.now();
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run('SET threads = 2');
const reader = await conn.runAndReadAll(sql(dir));
const lines = reader.getRows().map((row) => row.map(String).join('\t'));
const ms = performance.now() - t0;
conn.closeSync();
process.stdout.write(JSON.stringify({ ms, lines }) + '\n');
