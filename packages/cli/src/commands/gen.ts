import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Command, Option } from 'commander';
import { defaultRecordFiles, FLOWLOGS_GEN_DEFAULTS, FlowLogsGenerator, RecordsGenerator, type FlowLogsGenOptions } from '@mr/jobs';
import { MrError, parseUri, plural } from '@mr/shared';
import { blockStoreSession, childLocation, fileNames, holdsFiles, isBs, isS3, localPath, writeLocation, type BlockStoreSession } from '../locations.js';
import { intFlag, masterOption } from '../options.js';
import { byteProgress } from '../render/progress.js';
import type { Io } from '../io.js';

interface FlowLogsFlags {
  output: string;
  files: number;
  linesPerFile: number;
  seed: number;
  gzip?: boolean;
  version: 2 | 5;
  overwrite?: boolean;
}

interface RecordsFlags {
  output: string;
  count: number;
  seed: number;
  files?: number;
  overwrite?: boolean;
}

/** zlib level 4 compresses these logs twice as fast as the default 6, for files about 10% larger. */
const GZIP_LEVEL = 4;

/** An output that names one file rather than a directory or prefix. */
const SINGLE_FILE = /\.log(\.gz)?$/;

function versionFlag(text: string): 2 | 5 {
  const v = text.trim();
  if (v === '2' || v === '5') return Number(v) as 2 | 5;
  throw new MrError('MR_ERR_USAGE', `--version: '${text}' is not a flow log version (2 or 5)`);
}

/** Counts the bytes going through. */
async function* tally(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, add: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const c of chunks) {
    add(c.length);
    yield c;
  }
}

/** The options a run uses, after the checks that need no I/O. */
function resolveFlags(o: FlowLogsFlags, cmd: Command): { single: boolean; options: FlowLogsGenOptions } {
  parseUri(o.output); // an unsupported scheme is a usage error before anything runs
  const single = SINGLE_FILE.test(o.output);
  const gzip = o.gzip === true;
  if (single && cmd.getOptionValueSource('files') !== 'default' && o.files !== 1) {
    throw new MrError('MR_ERR_USAGE', `--output ${o.output} names one file: --files must be 1 (or give a directory)`);
  }
  if (single && o.output.endsWith('.gz') !== gzip) {
    throw new MrError('MR_ERR_USAGE', `--output ${o.output}: ${gzip ? 'with --gzip the name must end .log.gz' : 'a name ending .gz needs --gzip'}`);
  }
  return { single, options: { files: single ? 1 : o.files, linesPerFile: o.linesPerFile, seed: o.seed, version: o.version, gzip } };
}

/**
 * A directory or prefix output must hold no file unless --overwrite (then same names are replaced);
 * `fileHint` says what to do when a local output is a file.
 */
async function checkOutput(uri: string, overwrite: boolean, bs: BlockStoreSession, fileHint: string): Promise<void> {
  if (!isBs(uri) && !isS3(uri)) {
    const st = await stat(localPath(uri)).catch(() => undefined);
    if (st && !st.isDirectory()) throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${uri} is a file, not a directory (${fileHint})`);
  }
  if (!overwrite && (await holdsFiles(uri, bs))) throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${uri} already holds files (use --overwrite)`);
}

async function genFlowLogs(io: Io, o: FlowLogsFlags, cmd: Command): Promise<void> {
  const { single, options } = resolveFlags(o, cmd);
  const overwrite = o.overwrite === true;
  const bs = blockStoreSession(() => cmd.optsWithGlobals<{ master?: string }>().master);
  try {
    if (!single) await checkOutput(o.output, overwrite, bs, 'a single output file must end .log or .log.gz');
    const gen = new FlowLogsGenerator(options);
    const started = performance.now();
    let raw = 0;
    let stored = 0;
    for (let i = 0; i < options.files; i++) {
      const dest = single ? o.output : childLocation(o.output, gen.file(i).name);
      const bar = byteProgress(`gen flowlogs ${i + 1}/${options.files}`, undefined);
      // generated in 64 KiB chunks on demand, at most 64 ahead of the writer (so generation can run
      // while zlib compresses on the thread pool): memory stays bounded whatever the file size
      const text = Readable.from(tally(gen.chunks(i), (n) => bar.update((raw += n))), { highWaterMark: 64 });
      const body = options.gzip ? Readable.from(tally(text.pipe(createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024 })), (n) => (stored += n))) : text;
      await writeLocation(dest, body, { overwrite, bs }).finally(bar.done);
    }
    const lines = options.files * (options.linesPerFile + (options.version === 5 ? 1 : 0));
    const gz = options.gzip ? ` (${stored} gzipped)` : '';
    io.err(`gen flowlogs ${o.output}: ${plural(options.files, 'file', RAW)}, ${plural(lines, 'line', RAW)}, ${plural(raw, 'byte', RAW)}${gz} in ${rate(raw, started)}`);
  } finally {
    bs.close();
  }
}

/** Counts as scripts and the tests read them: digits only. */
const RAW = { grouped: false } as const;

/** `1.23 s (456.7 MB/s)`: the time since `started` (performance.now()) and the rate of `bytes` in it. */
function rate(bytes: number, started: number): string {
  const seconds = (performance.now() - started) / 1000;
  return `${seconds.toFixed(2)} s (${(bytes / 1e6 / seconds).toFixed(1)} MB/s)`;
}

/** `mr gen records`: files `part-rec-NNNNN` of 100-byte records (records-gen.ts) under a directory or prefix. */
async function genRecords(io: Io, o: RecordsFlags, cmd: Command): Promise<void> {
  parseUri(o.output); // an unsupported scheme is a usage error before anything runs
  const files = o.files ?? defaultRecordFiles(o.count);
  const overwrite = o.overwrite === true;
  const bs = blockStoreSession(() => cmd.optsWithGlobals<{ master?: string }>().master);
  try {
    await checkOutput(o.output, overwrite, bs, 'give a directory');
    const gen = new RecordsGenerator({ count: o.count, files, seed: o.seed });
    // --overwrite replaces files of the same names: records of an earlier, larger run would stay in the input
    const stale = overwrite ? (await fileNames(o.output, bs))?.filter((n) => /^part-rec-\d+$/.test(n) && Number(n.slice(9)) >= files).sort() : undefined;
    if (stale?.length) throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${o.output} holds ${stale[0]}, which this run would not replace (remove it, or give another directory)`);
    const started = performance.now();
    let bytes = 0;
    for (let i = 0; i < files; i++) {
      const f = gen.file(i);
      const dest = childLocation(o.output, f.name);
      const bar = byteProgress(`gen records ${i + 1}/${files}`, undefined);
      // 256 KiB chunks made on demand, at most 16 ahead of the writer: bounded memory
      const body = Readable.from(tally(gen.chunks(i, 256 * 1024), (n) => bar.update((bytes += n))), { highWaterMark: 16 });
      await writeLocation(dest, body, { overwrite, bs }).finally(bar.done);
    }
    io.err(`gen records ${o.output}: ${plural(files, 'file', RAW)}, ${plural(o.count, 'record', RAW)}, ${plural(bytes, 'byte', RAW)} in ${rate(bytes, started)}`);
  } finally {
    bs.close();
  }
}

/** `mr gen`: test data sets. */
export function genCommand(io: Io): Command {
  const gen = new Command('gen')
    .description('generate test data sets: flowlogs (AWS VPC flow logs), records (the sort benchmark\'s input)')
    .addOption(masterOption('the master, for bs:// outputs'));
  const d = FLOWLOGS_GEN_DEFAULTS;
  gen.command('flowlogs')
    .description('synthetic AWS VPC flow logs in the S3 delivery layout (AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/...), the same bytes for the same --seed')
    .requiredOption('--output <URI>', 'a directory or prefix (a path, file://, s3://, bs://), or one file ending .log or .log.gz')
    .addOption(new Option('--files <N>', 'files, one per 5-minute window').default(d.files).argParser(intFlag('--files', 1, 1_000_000)))
    .addOption(new Option('--lines-per-file <N>', 'records per file (the v5 header line is extra)').default(d.linesPerFile).argParser(intFlag('--lines-per-file', 1, 1_000_000_000)))
    .addOption(new Option('--seed <S>', 'a whole number: the same seed gives the same bytes').default(d.seed).argParser(intFlag('--seed', 0, 2 ** 32 - 1)))
    .option('--gzip', 'gzip each file (names end .log.gz)')
    .addOption(new Option('--version <2|5>', 'record format: 2 (the default format, no header) or 5 (every v5 field, a header line first)').default(d.version).argParser(versionFlag))
    .option('--overwrite', 'write even if the output already holds files (files of the same name are replaced)')
    .action((o: FlowLogsFlags, cmd: Command) => genFlowLogs(io, o, cmd));
  gen.command('records')
    .description('100-byte records for the sort benchmark (`mr run sort`, `mr validate sort`), the same bytes for the same --seed: '
      + 'a 10-byte key of printable ASCII, a space, the record number in 16 hex digits, a space, filler, a newline')
    .requiredOption('--output <URI>', 'a directory or prefix (a path, file://, s3://, bs://): files part-rec-00000, ...')
    .requiredOption('--count <N>', 'records in all (100 bytes each)', intFlag('--count', 0))
    .addOption(new Option('--seed <S>', 'a whole number: the same seed gives the same bytes').default(1).argParser(intFlag('--seed', 0, 2 ** 32 - 1)))
    .addOption(new Option('--files <N>', 'files to cut the records into (default: files of about 64 MiB)').argParser(intFlag('--files', 1, 1_000_000)))
    .option('--overwrite', 'write even if the output already holds files (files of the same name are replaced; refused if it holds more part-rec files than this run writes)')
    .action((o: RecordsFlags, cmd: Command) => genRecords(io, o, cmd));
  return gen;
}
