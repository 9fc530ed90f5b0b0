import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { cbError } from '../errors/index.js';
import type { StorageAdapter, StoredFile } from './types.js';

/** The options of an `s3` storage (NocoBase's names): MinIO and the like need `endpoint` and `forcePathStyle`. */
export interface S3Options {
  readonly bucket: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/** A storage's `options` checked as S3Options; a missing bucket is a 400 naming it. */
export function s3Options(options: Readonly<Record<string, unknown>>): S3Options {
  const text = (k: string) => (typeof options[k] === 'string' && options[k] !== '' ? (options[k] as string) : undefined);
  const bucket = text('bucket');
  if (!bucket) throw cbError('CB_ERR_VALIDATION', 'An s3 storage needs options.bucket');
  const endpoint = text('endpoint');
  if (endpoint && !/^https?:\/\//.test(endpoint)) throw cbError('CB_ERR_VALIDATION', 'options.endpoint must be an http(s) URL');
  return {
    bucket,
    region: text('region') ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle === true || options.forcePathStyle === 'true',
    ...(text('accessKeyId') ? { accessKeyId: text('accessKeyId') } : {}),
    ...(text('secretAccessKey') ? { secretAccessKey: text('secretAccessKey') } : {}),
  };
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<Sdk> | undefined;
/** The AWS SDK v3 S3 client, loaded on first use (nodes without an s3 storage never load it). */
const loadSdk = () => (sdk ??= import('@aws-sdk/client-s3'));

/** Any S3-compatible service through the AWS SDK v3; an unreachable service is a retryable 503. */
export class S3Storage implements StorageAdapter {
  private client: Promise<S3Client> | undefined;

  constructor(private readonly o: S3Options) {}

  private s3(): Promise<S3Client> {
    this.client ??= loadSdk().then(
      ({ S3Client: Client }) =>
        new Client({
          region: this.o.region,
          forcePathStyle: this.o.forcePathStyle,
          // Checksums only where S3 requires them: many S3-compatible services (older MinIO, Ceph,
          // s3rver) do not take the SDK's default aws-chunked uploads with checksum trailers.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          ...(this.o.endpoint ? { endpoint: this.o.endpoint } : {}),
          ...(this.o.accessKeyId && this.o.secretAccessKey ? { credentials: { accessKeyId: this.o.accessKeyId, secretAccessKey: this.o.secretAccessKey } } : {}),
        }),
    );
    return this.client;
  }

  async put(key: string, file: StoredFile): Promise<void> {
    const [{ PutObjectCommand }, client] = await Promise.all([loadSdk(), this.s3()]);
    await unavailable(() =>
      client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: createReadStream(file.localPath), ContentLength: file.size, ContentType: file.mimeType })),
    );
  }

  async get(key: string): Promise<Readable> {
    const [{ GetObjectCommand }, client] = await Promise.all([loadSdk(), this.s3()]);
    const answer = await unavailable(() => client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key })));
    return answer.Body as Readable;
  }

  async remove(key: string): Promise<void> {
    const [{ DeleteObjectCommand }, client] = await Promise.all([loadSdk(), this.s3()]);
    await unavailable(() => client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: key })));
  }

  close(): void {
    void this.client?.then((c) => c.destroy());
  }
}

/** S3 errors as API errors: a missing object is a 404, a refused or unreachable service a 503. */
async function unavailable<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) throw cbError('CB_ERR_HTTP_NOT_FOUND', 'The file is not in its storage');
    throw cbError('CB_ERR_FILE_STORAGE', `The S3 storage answered: ${e.name ?? 'an error'}`);
  }
}
