import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBlobStore } from '@/testing/blob-store-contract';
import { type S3rver, startS3rver } from '@/testing/s3rver';
import { openBlobStore } from './index';
import { S3BlobStore } from './s3';

let s3rver: S3rver;
const stores: S3BlobStore[] = [];

beforeAll(async () => {
  s3rver = await startS3rver();
});

afterAll(async () => {
  for (const store of stores) store.destroy();
  await s3rver.stop();
});

function open(store = 's3://backups/some/prefix'): S3BlobStore {
  const opened = openBlobStore({
    BACKUP_STORE: store,
    BACKUP_STORE_S3_ENDPOINT: s3rver.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    dataDir: s3rver.directory,
  });
  if (!(opened instanceof S3BlobStore)) throw new Error('expected an S3 store');
  stores.push(opened);
  return opened;
}

describeBlobStore('S3BlobStore on s3rver', () => open());

describe('S3BlobStore', () => {
  it('keeps its objects under its prefix and says where without the credentials', async () => {
    const inner = open('s3://backups/some/prefix');
    const outer = open('s3://backups');
    expect(inner.description).toBe('s3://backups/some/prefix');
    expect(outer.description).toBe('s3://backups');
    await inner.put('objects/x/aa/aa11', new Uint8Array([5]));
    expect(Array.from((await outer.get('some/prefix/objects/x/aa/aa11'))!)).toEqual([5]);
    const listed = [];
    for await (const info of inner.list('objects/x/')) listed.push(info.key);
    expect(listed).toEqual(['objects/x/aa/aa11']);
    expect(await inner.deletePrefix('objects/x/')).toBe(1);
    expect(await outer.has('some/prefix/objects/x/aa/aa11')).toBe(false);
  });

  it('reports a missing bucket as an error, not as absence', async () => {
    const store = open('s3://no-such-bucket/p');
    await expect(store.put('objects/a', new Uint8Array([1]))).rejects.toThrow();
  });
});
