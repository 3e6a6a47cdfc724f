/**
 * `mr validate sort OUTPUT [--input URI[,URI..]]`: Hadoop's TeraValidate for the `sort` job. Reads
 * part-00000 .. part-(R-1) in order from any location and checks that keys never decrease across
 * all of them; with --input, also that the output holds exactly the input's records (the same count
 * and order-independent checksum, sort-check.ts). Exit 0 with a one-line summary; 1 with a
 * one-line error naming the first out-of-order part and line.
 */
import { Command } from 'commander';
import { InputRecords, SortedOutput } from '@mr/jobs';
import { MrError, parseUri, partName, plural } from '@mr/shared';
import { blockStoreSession, childLocation, fileNames, listInputs, readInput, readLocation, type BlockStoreSession } from '../locations.js';
import { collectList, masterOption } from '../options.js';
import type { Io } from '../io.js';

/** Counts as scripts read them: digits only. */
const RAW = { grouped: false } as const;

interface SortFlags {
  input?: string[];
  json?: boolean;
}

interface Checked {
  records: number;
  bytes: number;
  checksum: string;
}

/** The output's part files in order; refuses an output the job did not commit or with a part missing. */
async function partsOf(output: string, bs: BlockStoreSession): Promise<string[]> {
  const names = await fileNames(output, bs);
  if (!names) throw new MrError('MR_ERR_INPUT_NOT_FOUND', `output not found: ${output}`);
  const parts = names.filter((n) => /^part-\d+$/.test(n)).sort();
  if (!names.includes('_SUCCESS')) throw new MrError('MR_ERR_VALIDATION', `${output} holds no _SUCCESS: not a committed job output`);
  if (parts.length === 0) throw new MrError('MR_ERR_VALIDATION', `${output} holds no part files`);
  parts.forEach((p, i) => {
    if (p !== partName(i)) throw new MrError('MR_ERR_VALIDATION', `${output}: ${partName(i)} is missing (parts run to ${parts[parts.length - 1]})`);
  });
  return parts;
}

async function checkOutput(output: string, parts: string[], bs: BlockStoreSession): Promise<SortedOutput> {
  const check = new SortedOutput();
  for (const p of parts) {
    check.startPart(p);
    for await (const chunk of readLocation(bs, childLocation(output, p)) as AsyncIterable<Buffer>) {
      check.push(chunk);
      if (check.violation) return check;
    }
    check.endPart();
    if (check.violation) return check;
  }
  return check;
}

async function checkInput(inputs: string[], bs: BlockStoreSession): Promise<Checked & { files: number }> {
  const files = await listInputs(inputs, bs);
  const check = new InputRecords();
  for (const f of files) {
    for await (const chunk of readInput(bs, f.uri) as AsyncIterable<Buffer>) check.push(chunk);
    check.endFile();
  }
  return { files: files.length, records: check.sum.records, bytes: check.sum.bytes, checksum: check.sum.checksum };
}

/** What the output and the input disagree on, if anything. */
function mismatch(out: Checked, input: Checked): string | undefined {
  if (out.records !== input.records) return `it holds ${plural(out.records, 'record', RAW)}, the input ${input.records}`;
  if (out.checksum !== input.checksum) return `its records differ from the input's (checksum ${out.checksum}, the input's ${input.checksum}; ${plural(out.records, 'record', RAW)} each)`;
  return undefined;
}

async function validateSort(io: Io, output: string, o: SortFlags, bs: BlockStoreSession): Promise<void> {
  parseUri(output); // an unsupported scheme is a usage error before anything is read
  if (o.input?.length === 0) throw new MrError('MR_ERR_USAGE', '--input names no location');
  const started = performance.now();
  const parts = await partsOf(output, bs);
  // the input is read while the output is: both are I/O-bound streams
  const [check, input] = await Promise.all([checkOutput(output, parts, bs), o.input ? checkInput(o.input, bs) : undefined]);
  const out: Checked = { records: check.sum.records, bytes: check.sum.bytes, checksum: check.sum.checksum };
  const v = check.violation;
  const wrong = v ? `${v.part} line ${v.line}: ${v.message}` : input ? mismatch(out, input) : undefined;
  const seconds = (performance.now() - started) / 1000;
  if (o.json) {
    io.out(JSON.stringify({
      ok: wrong === undefined, output, parts: parts.length, ...out,
      ...(input ? { input: { files: input.files, records: input.records, bytes: input.bytes, checksum: input.checksum } } : {}),
      ...(v ? { part: v.part, line: v.line } : {}),
      ...(wrong ? { error: wrong } : {}),
      elapsedMs: Math.round(seconds * 1000),
    }));
  }
  if (wrong) throw new MrError('MR_ERR_VALIDATION', `validate sort ${output}: ${wrong}`);
  if (o.json) return;
  const same = input ? `, the same records as the input (${plural(input.files, 'file', RAW)})` : '';
  io.out(`validate sort ${output}: OK, ${plural(parts.length, 'part', RAW)}, ${plural(out.records, 'record', RAW)} in key order, ${plural(out.bytes, 'byte', RAW)}, checksum ${out.checksum}${same} in ${seconds.toFixed(2)} s`);
}

export function validateCommand(io: Io): Command {
  const validate = new Command('validate')
    .description("check a job's output: sort (keys in order across all parts; with --input, exactly the input's records)")
    .addOption(masterOption('the master, for bs:// locations'));
  validate.command('sort')
    .description('check a `sort` output (TeraValidate): part-00000 .. part-(R-1) read in order have keys that never decrease; '
      + "with --input, it holds exactly the input's records (the same count and order-independent checksum). "
      + 'Exit 0 with a one-line summary, or 1 with one line naming the first out-of-order part and line')
    .argument('<OUTPUT>', 'the output: part files and _SUCCESS (a path, file://, s3://, bs://)')
    .option('--input <URI[,URI..]>', "the job's input (repeatable): also compare record count and checksum (default: the order alone is checked)", collectList)
    .option('--json', 'print the result as one JSON document ({ ok, parts, records, bytes, checksum, input?, error? })')
    .action(async (output: string, o: SortFlags, cmd: Command) => {
      const bs = blockStoreSession(() => cmd.optsWithGlobals<{ master?: string }>().master);
      try {
        await validateSort(io, output, o, bs);
      } finally {
        bs.close();
      }
    });
  return validate;
}
