import type { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { MrError } from '../errors.js';

/**
 * S3 through @aws-sdk/client-s3 (pinned 3.1175.0: the last to support Node 20), with the standard
 * AWS configuration (env vars, shared files, the default credential chain, AWS_REGION). With a
 * custom endpoint (MinIO, s3rver, LocalStack: AWS_ENDPOINT_URL[_S3]) addressing is path-style and
 * flexible checksums are only used when required (design.md: they corrupt stream bodies there).
 * Throttling and 5xx are retried by the SDK's standard retry strategy.
 */
let shared: S3Client | undefined;
type Sdk = typeof import('@aws-sdk/client-s3');
let sdkModule: Sdk | undefined;

/** The SDK is loaded on first use: it costs a quarter second at start-up, and most processes never touch S3. */
async function sdk(): Promise<Sdk> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return (sdkModule ??= await import('@aws-sdk/client-s3'));
}

/** Sends commands built from the lazily loaded SDK with the shared client. */
async function run<R>(fn: (m: Sdk, c: S3Client) => Promise<R>): Promise<R> {
  return fn(await sdk(), await s3Client());
}

export async function s3Client(): Promise<S3Client> {
  if (shared) return shared;
  const { S3Client } = await sdk();
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  shared = new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: 5,
    retryMode: 'standard',
    ...(endpoint
      ? { endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
  return shared;
}

/** `s3://bucket/a/b` -> { bucket, key: 'a/b' } (keys joined with exactly one '/'). */
export function parseS3(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!m || !m[1]) throw new MrError('MR_ERR_BAD_URI', `${uri}: an S3 URI is s3://bucket/prefix`);
  return { bucket: m[1], key: m[2]!.replace(/\/+$/, '').replace(/\/{2,}/g, '/') };
}

export const s3Join = (...parts: string[]) => parts.filter((p) => p !== '').map((p) => p.replace(/^\/+|\/+$/g, '')).join('/');

/** A one-line error naming the bucket (and key) for what S3 said. */
export function s3Error(e: unknown, bucket: string, key = ''): MrError {
  if (MrError.is(e)) return e;
  const where = `s3://${bucket}${key ? '/' + key : ''}`;
  const name = (e as { name?: string }).name ?? '';
  const status = (e as Partial<S3ServiceException>).$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') return new MrError('MR_ERR_INPUT_NOT_FOUND', `bucket ${bucket} does not exist (${where})`);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return new MrError('MR_ERR_INPUT_NOT_FOUND', `${where} does not exist`);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError'].includes(name) || status === 403) {
    return new MrError('MR_ERR_UNAUTHENTICATED', `access to bucket ${bucket} denied: ${name || 'HTTP 403'} (check the AWS credentials)`);
  }
  const msg = (e as Error).message?.split('\n')[0] ?? String(e);
  return new MrError('MR_ERR_UNREACHABLE', `${where}: ${name ? name + ': ' : ''}${msg}`);
}

export interface S3Object {
  key: string;
  size: number;
  /** LastModified, where the listing gives it (`mr fs ls`). */
  mtimeMs?: number;
}

/** Every object under a prefix (paginated), skipping names that start with `_` or `.` below it. */
export async function listObjects(bucket: string, prefix: string): Promise<S3Object[]> {
  const out: S3Object[] = [];
  let token: string | undefined;
  const base = prefix === '' ? '' : prefix + '/';
  try {
    // an exact object first: `s3://b/file.txt` means that object
    if (prefix !== '') {
      const head = await run((m, c) => c.send(new m.HeadObjectCommand({ Bucket: bucket, Key: prefix }))).catch((e: unknown) => {
        if ((e as { name?: string }).name === 'NotFound' || (e as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
        throw e;
      });
      if (head) return [{ key: prefix, size: Number(head.ContentLength ?? 0) }];
    }
    do {
      const r = await run((m, c) => c.send(new m.ListObjectsV2Command({ Bucket: bucket, Prefix: base, ContinuationToken: token })));
      for (const o of r.Contents ?? []) {
        const rel = o.Key!.slice(base.length);
        if (rel === '' || rel.endsWith('/') || rel.split('/').some((seg) => seg.startsWith('_') || seg.startsWith('.'))) continue;
        out.push({ key: o.Key!, size: Number(o.Size ?? 0) });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw s3Error(e, bucket, prefix);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Size and LastModified of exactly this object (HEAD); undefined when there is none. */
export async function headObject(bucket: string, key: string): Promise<{ size: number; mtimeMs?: number } | undefined> {
  if (key === '') return undefined;
  try {
    const h = await run((m, c) => c.send(new m.HeadObjectCommand({ Bucket: bucket, Key: key })));
    return { size: Number(h.ContentLength ?? 0), ...(h.LastModified ? { mtimeMs: h.LastModified.getTime() } : {}) };
  } catch (e) {
    if ((e as { name?: string }).name === 'NotFound' || (e as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
    throw s3Error(e, bucket, key);
  }
}

/** Whether exactly this object exists (HEAD). */
export async function objectExists(bucket: string, key: string): Promise<boolean> {
  if (key === '') return false;
  try {
    await run((m, c) => c.send(new m.HeadObjectCommand({ Bucket: bucket, Key: key })));
    return true;
  } catch (e) {
    if ((e as { name?: string }).name === 'NotFound' || (e as S3ServiceException).$metadata?.httpStatusCode === 404) return false;
    throw s3Error(e, bucket, key);
  }
}

/**
 * Every object under a prefix, hidden ones included (for output checks and `mr fs`); `atMost` stops
 * after the page that reaches that many (`mr fs` asks whether a prefix holds anything at all).
 */
export async function listNames(bucket: string, prefix: string, atMost = Infinity): Promise<S3Object[]> {
  const out: S3Object[] = [];
  let token: string | undefined;
  const base = prefix === '' ? '' : prefix + '/';
  try {
    do {
      const r = await run((m, c) => c.send(new m.ListObjectsV2Command({
        Bucket: bucket, Prefix: base, ContinuationToken: token, ...(atMost < 1000 ? { MaxKeys: atMost } : {}),
      })));
      for (const o of r.Contents ?? []) out.push({ key: o.Key!, size: Number(o.Size ?? 0), ...(o.LastModified ? { mtimeMs: o.LastModified.getTime() } : {}) });
      token = r.IsTruncated && out.length < atMost ? r.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw s3Error(e, bucket, prefix);
  }
  return out;
}

/** A byte range of an object (ranged GET), as a stream; `end` exclusive, Infinity = to the end. */
export async function readObject(bucket: string, key: string, start = 0, end = Infinity): Promise<Readable> {
  if (end <= start) return (await import('node:stream')).Readable.from([]);
  try {
    const r = await run((m, c) => c.send(new m.GetObjectCommand({ Bucket: bucket, Key: key, ...(start > 0 || end !== Infinity ? { Range: `bytes=${start}-${end === Infinity ? '' : end - 1}` } : {}) })));
    return r.Body as Readable;
  } catch (e) {
    if ((e as S3ServiceException).$metadata?.httpStatusCode === 416) return (await import('node:stream')).Readable.from([]);
    throw s3Error(e, bucket, key);
  }
}

export async function putObject(bucket: string, key: string, body: Buffer | string): Promise<void> {
  try {
    // with no Content-Length (the SDK sets none for an empty body, such as _SUCCESS's) the SDK
    // warns on the console about "a Stream of unknown length": `mr run` printed it after every job
    await run((m, c) => c.send(new m.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body) })));
  } catch (e) {
    throw s3Error(e, bucket, key);
  }
}

export async function deleteObjects(bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    try {
      await run((m, c) => c.send(new m.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } })));
    } catch (e) {
      throw s3Error(e, bucket, keys[i]);
    }
  }
}

/** A multipart upload, uploaded but not completed: the object appears only when it is completed. */
export interface PendingUpload {
  bucket: string;
  key: string;
  uploadId: string;
  parts: { PartNumber: number; ETag: string }[];
}

export const MULTIPART_CHUNK = 8 * 1024 * 1024;
/** Parts of one upload sent at once. */
const PARTS_IN_FLIGHT = 3;

/**
 * Uploads a local file, or a stream, as a multipart upload and leaves it pending (the S3A committers'
 * idea): the master completes it at job commit, or aborts it. Parts are MULTIPART_CHUNK bytes, the
 * last smaller; a stream is cut into parts as it arrives, so at most one part is held in memory.
 */
export async function uploadPending(source: string | Readable, bucket: string, key: string): Promise<PendingUpload> {
  let uploadId: string;
  try {
    uploadId = (await run((m, c) => c.send(new m.CreateMultipartUploadCommand({ Bucket: bucket, Key: key })))).UploadId!;
  } catch (e) {
    if (typeof source !== 'string') source.destroy();
    throw s3Error(e, bucket, key);
  }
  const parts: PendingUpload['parts'] = [];
  // up to PARTS_IN_FLIGHT parts upload at once while the next is read: memory stays bounded
  const inFlight: Promise<void>[] = [];
  let next = 0;
  const put = async (body: Buffer) => {
    const PartNumber = ++next;
    if (inFlight.length >= PARTS_IN_FLIGHT) await inFlight.shift();
    const sent = run((m, c) => c.send(new m.UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length })))
      .then((r) => void (parts[PartNumber - 1] = { PartNumber, ETag: r.ETag! }));
    sent.catch(() => {}); // awaited later; a failure must not be an unhandled rejection meanwhile
    inFlight.push(sent);
  };
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1024 * 1024 }) : source;
  try {
    let held: Buffer[] = [];
    let heldBytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      held.push(chunk);
      heldBytes += chunk.length;
      while (heldBytes >= MULTIPART_CHUNK) {
        const all = Buffer.concat(held);
        await put(all.subarray(0, MULTIPART_CHUNK));
        held = [all.subarray(MULTIPART_CHUNK)];
        heldBytes = all.length - MULTIPART_CHUNK;
      }
    }
    // the last part (an empty object is one empty part)
    if (heldBytes > 0 || next === 0) await put(Buffer.concat(held));
    await Promise.all(inFlight);
  } catch (e) {
    stream.destroy();
    await Promise.allSettled(inFlight);
    await abortUpload({ bucket, key, uploadId }).catch(() => {}); // the first error is the one to tell
    throw s3Error(e, bucket, key);
  }
  return { bucket, key, uploadId, parts };
}

export async function completeUpload(u: PendingUpload): Promise<void> {
  try {
    await run((m, c) => c.send(new m.CompleteMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId, MultipartUpload: { Parts: u.parts } })));
  } catch (e) {
    throw s3Error(e, u.bucket, u.key);
  }
}

/** Aborts an upload; s3rver answers 405 (unsupported), which is tolerated (real S3 and MinIO abort). */
export async function abortUpload(u: Pick<PendingUpload, 'bucket' | 'key' | 'uploadId'>): Promise<void> {
  try {
    await run((m, c) => c.send(new m.AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId })));
  } catch (e) {
    const status = (e as S3ServiceException).$metadata?.httpStatusCode;
    if (status === 405 || status === 404 || (e as { name?: string }).name === 'NoSuchUpload') return;
    throw s3Error(e, u.bucket, u.key);
  }
}
