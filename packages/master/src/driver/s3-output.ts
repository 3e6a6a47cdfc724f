import { abortUpload, completeUpload, deleteObjects, listNames, MrError, parseS3, partName, putObject, s3Join } from '@mr/shared';
import type { PendingUpload } from '../machine/types.js';

/**
 * The s3:// output committer (like S3A's magic committer): each reduce attempt leaves its part as
 * a pending multipart upload; at job commit the master completes the winners' uploads (so parts
 * appear at their final keys only now), then writes _SUCCESS last. A failed job aborts them.
 */
export async function commitS3Job(output: string, numReducers: number, uploads: PendingUpload[], o: { overwrite: boolean; redo?: boolean }): Promise<void> {
  const { bucket, key } = parseS3(output);
  const wanted = new Set(Array.from({ length: numReducers }, (_, p) => s3Join(key, partName(p))));
  const names = (await listNames(bucket, key)).map((x) => ({ key: x.key, name: x.key.slice(key === '' ? 0 : key.length + 1) })).filter((x) => !x.name.includes('/'));
  // the output was free at submit (without --overwrite): a result there now is another job's (commitJob)
  const taken = names.filter((x) => x.name === '_SUCCESS' || x.name.startsWith('part-'));
  if (!o.overwrite && !o.redo && taken.length > 0) {
    throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${output} received ${taken[0]!.name} from another job while this one ran; not replaced (use --overwrite to replace it)`);
  }
  // --overwrite: the old result's _SUCCESS and stale parts go first
  const old = names.filter((x) => x.name === '_SUCCESS' || (x.name.startsWith('part-') && !wanted.has(x.key))).map((x) => x.key);
  if (old.length > 0) await deleteObjects(bucket, old);
  for (const u of uploads) {
    try {
      await completeUpload(u);
    } catch (e) {
      // completed already by a master that died right after (a restart redoes the commit)
      if ((e as { message?: string }).message?.includes('NoSuchUpload') && (await listNames(bucket, key)).some((o) => o.key === u.key)) continue;
      throw e;
    }
  }
  await putObject(bucket, s3Join(key, '_SUCCESS'), '');
}

export async function abortS3Uploads(uploads: PendingUpload[]): Promise<void> {
  for (const u of uploads) await abortUpload(u);
}
