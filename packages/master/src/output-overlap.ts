import { MrError, parseUri, type Location } from '@mr/shared';
import { isInside, realPathOf } from './data-dir.js';

/**
 * A job must not write where it reads (Spark: "Cannot overwrite a path that is also being read
 * from"): an output that is an input, lies inside an input directory, or contains an input. With
 * --overwrite a rerun would otherwise read its own old result (every count +1), and without it the
 * commit would mix a new result into the files being read. Local paths are compared after
 * following symlinks (the real path of each one's nearest existing ancestor); s3:// and bs:// by
 * prefix, segment by segment.
 */
export async function checkOutputApartFromInputs(inputs: string[], output: string): Promise<void> {
  const out = await comparable(parseUri(output));
  for (const input of inputs) {
    const inp = await comparable(parseUri(input));
    if (inp.store !== out.store) continue;
    const how = overlap(inp.path, out.path);
    if (how) {
      throw new MrError('MR_ERR_OUTPUT_OVERLAPS_INPUT', `output ${output} ${how} input ${input}: a job cannot write where it reads; choose another output`);
    }
  }
}

/** A location as a store name and an absolute, real, `/`-separated path within it. */
async function comparable(loc: Location): Promise<{ store: string; path: string }> {
  switch (loc.scheme) {
    case 'file':
      return { store: 'file', path: await realPathOf(loc.path) };
    case 's3':
      return { store: `s3://${loc.bucket}`, path: `/${loc.key}` };
    case 'bs':
      return { store: 'bs', path: loc.path };
  }
}

/** How `output` overlaps `input`, in words, or undefined when they are apart. */
function overlap(input: string, output: string): string | undefined {
  if (input.replace(/\/+$/, '') === output.replace(/\/+$/, '')) return 'is the';
  if (isInside(output, input)) return 'is inside the';
  if (isInside(input, output)) return 'contains the';
  return undefined;
}
