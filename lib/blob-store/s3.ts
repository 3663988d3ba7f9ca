import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { assertBlobKey, assertBlobPrefix } from './keys';
import type { BlobInfo, BlobStore } from './types';

/** S3's limit for one DeleteObjects request. */
const DELETE_BATCH = 1000;
const S3_PUT_CONCURRENCY = 8;

export type S3BlobStoreOptions = {
  bucket: string;
  /** '' or ending with a slash. */
  prefix: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
};

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Backup data in an S3 bucket (AWS or any S3-compatible server). A PutObject is atomic by itself. */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.description = `s3://${options.bucket}/${options.prefix}`.replace(/\/$/, '');
    const config: S3ClientConfig = { region: options.region ?? 'us-east-1' };
    if (options.endpoint) {
      config.endpoint = options.endpoint;
      config.forcePathStyle = true;
      // The SDK's default CRC32 checksums (trailers, checksum headers on every request) are AWS-only; many
      // S3-compatible servers refuse or mangle them. Sealed objects carry their own authentication tag anyway.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return `${this.prefix}${key}`;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: data,
        ContentLength: data.byteLength,
        ContentType: 'application/octet-stream',
      }),
    );
  }

  /** Several PUTs at once: S3 acknowledges each only once it is durable. */
  async putMany(objects: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < objects.length) {
        const { key, data } = objects[next++]!;
        await this.put(key, data);
      }
    };
    await Promise.all(Array.from({ length: Math.min(S3_PUT_CONCURRENCY, objects.length) }, worker));
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async readRange(key: string, offset: number, target: Uint8Array): Promise<boolean> {
    if (target.length === 0) return this.has(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: `bytes=${offset}-${offset + target.length - 1}`,
        }),
      );
      const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
      if (bytes.length !== target.length) return false;
      target.set(bytes);
      return true;
    } catch (err) {
      // A range past the object's end is refused as unsatisfiable (416).
      if (isNotFound(err) || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
        return false;
      throw err;
    }
  }

  async stream(key: string): Promise<ReadableStream<Uint8Array> | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!response.Body) return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
      return response.Body.transformToWebStream() as ReadableStream<Uint8Array>;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await this.deleteObjects(keys.map((key) => this.objectKey(key)));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertBlobPrefix(prefix, { allowEmpty: false });
    let count = 0;
    let batch: string[] = [];
    // ListObjectsV2 continues after the last key it returned, so deleting a page before asking for the next is safe.
    for await (const info of this.list(prefix)) {
      batch.push(`${this.prefix}${info.key}`);
      if (batch.length === DELETE_BATCH) {
        await this.deleteObjects(batch);
        count += batch.length;
        batch = [];
      }
    }
    await this.deleteObjects(batch);
    return count + batch.length;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    assertBlobPrefix(prefix, { allowEmpty: true });
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${prefix}`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key?.startsWith(this.prefix)) continue;
        yield {
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          modifiedAt: object.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Closes the client's sockets; the store is unusable afterwards. */
  destroy(): void {
    this.client.destroy();
  }

  private async deleteObjects(objectKeys: string[]): Promise<void> {
    for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
      const chunk = objectKeys.slice(i, i + DELETE_BATCH);
      const response = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failure = response.Errors?.[0];
      if (failure) {
        throw new Error(
          `Could not delete ${response.Errors?.length} object(s) from ${this.description}, e.g. ${failure.Key}: ${failure.Code} ${failure.Message}`,
        );
      }
    }
  }
}
