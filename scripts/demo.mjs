// `npm run demo`: word count over the Gutenberg books on the embedded cluster (one master, one core
// and one task worker as separate processes), then the top words as a table; then a flow-log
// report: generated VPC Flow Logs, top talkers, rejected sources and port scanners, as tables.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const input = join(root, 'data', 'gutenberg');
const output = join(root, 'demo-output', 'wordcount');
const mr = join(root, 'packages/cli/bin/mr.js');

if (!existsSync(input)) {
  console.error(`demo: the sample books are not at ${input} (they ship with the repository: is the clone complete?)`);
  process.exit(1);
}
const args = ['run', 'wordcount', '--input', input, '--output', output, '--reducers', '3', '--overwrite'];
mustRun(args);

const counts = [];
for (const name of readdirSync(output).filter((n) => n.startsWith('part-'))) {
  for (const line of readFileSync(join(output, name), 'utf8').split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab > 0) counts.push([line.slice(0, tab), Number(line.slice(tab + 1))]);
  }
}
counts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
console.log(`\nTop 15 of ${counts.length.toLocaleString('en-US')} distinct words:`);
const width = Math.max(...counts.slice(0, 15).map(([w]) => w.length));
for (const [i, [w, n]] of counts.slice(0, 15).entries()) {
  console.log(`${String(i + 1).padStart(3)}  ${w.padEnd(width)}  ${n.toLocaleString('en-US').padStart(7)}`);
}
console.log(`\nOutput: ${output.replace(root + '/', '')}/part-0000{0,1,2} and _SUCCESS`);

// the flow-log report (docs/flowlogs.md): 4 files of 100,000 records, S3 delivery layout
const logs = join(root, 'demo-output', 'flowlogs-input');
console.log('\n== VPC Flow Logs ==');
mustRun(['gen', 'flowlogs', '--output', logs, '--files', '4', '--lines-per-file', '100000', '--seed', '1', '--overwrite']);
for (const [preset, title] of [['top-talkers', 'Top talkers (bytes)'], ['rejected-by-src', 'Sources with the most rejected flows'], ['port-scan', 'Port scanners (rejected on 20+ ports)']]) {
  console.log(`\n-- ${title} --`);
  mustRun(['run', 'flowlogs', '--input', logs, '--output', join(root, 'demo-output', preset), '--param', `preset=${preset}`, '--reducers', '2', '--overwrite', '--format', 'table']);
}

function mustRun(argv) {
  console.log(`$ mr ${argv.join(' ').replaceAll(root + '/', '')}`);
  const r = spawnSync(process.execPath, [mr, ...argv], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
