import { abortUpload, completeUpload, deleteObjects, listNames, parseS3, partName, putObject, s3Join } from '@mr/shared';
import type { PendingUpload } from '../machine/types.js';

/**
 * The s3:// output committer (like S3A's magic committer): each reduce attempt leaves its part as
 * a pending multipart upload; at job commit the master completes the winners' uploads (so parts
 * appear at their final keys only now), then writes _SUCCESS last. A failed job aborts them.
 */
export async function commitS3Job(output: string, numReducers: number, uploads: PendingUpload[]): Promise<void> {
  const { bucket, key } = parseS3(output);
  const wanted = new Set(Array.from({ length: numReducers }, (_, p) => s3Join(key, partName(p))));
  // --overwrite: the old result's _SUCCESS and stale parts go first
  const old = (await listNames(bucket, key)).map((o) => o.key).filter((k) => {
    const name = k.slice(key === '' ? 0 : key.length + 1);
    return !name.includes('/') && (name === '_SUCCESS' || (name.startsWith('part-') && !wanted.has(k)));
  });
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
