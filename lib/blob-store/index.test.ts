import { describe, expect, it } from 'vitest';
import { FileBlobStore, openBlobStore, openSecondaryBlobStore, parseBlobStoreLocation, S3BlobStore } from './index';

describe('openBlobStore', () => {
  it('defaults to the backups folder of the data directory', () => {
    const store = openBlobStore({ dataDir: '/var/lib/portal' });
    expect(store).toBeInstanceOf(FileBlobStore);
    expect(store.description).toBe('file:///var/lib/portal/backups');
    expect(openBlobStore({ BACKUP_STORE: '', dataDir: '/d' }).description).toBe('file:///d/backups');
  });

  it('opens the folder or bucket BACKUP_STORE names', () => {
    expect(openBlobStore({ BACKUP_STORE: 'file:///srv/b/', dataDir: '/d' }).description).toBe('file:///srv/b');
    const s3 = openBlobStore({ BACKUP_STORE: 's3://bucket-1/a/b', dataDir: '/d', AWS_SECRET_ACCESS_KEY: 'hush' });
    expect(s3).toBeInstanceOf(S3BlobStore);
    expect(s3.description).toBe('s3://bucket-1/a/b');
    expect(s3.description).not.toContain('hush');
  });

  it('refuses anything else in one line', () => {
    expect(() => openBlobStore({ BACKUP_STORE: 'ftp://x', dataDir: '/d' })).toThrow(
      'Invalid setting BACKUP_STORE: must be file:///absolute/path or s3://BUCKET[/PREFIX] (got "ftp://x").',
    );
  });
});

describe('openSecondaryBlobStore', () => {
  it('opens nothing when BACKUP_STORE_SECONDARY is unset, and the folder or bucket it names otherwise', () => {
    expect(openSecondaryBlobStore({ dataDir: '/d' })).toBeNull();
    expect(openSecondaryBlobStore({ BACKUP_STORE_SECONDARY: '', dataDir: '/d' })).toBeNull();
    expect(openSecondaryBlobStore({ BACKUP_STORE_SECONDARY: 'file:///mnt/far', dataDir: '/d' })?.description).toBe(
      'file:///mnt/far',
    );
    const s3 = openSecondaryBlobStore({ BACKUP_STORE_SECONDARY: 's3://far-bucket/copy', dataDir: '/d' });
    expect(s3).toBeInstanceOf(S3BlobStore);
    expect(s3?.description).toBe('s3://far-bucket/copy');
    expect(() => openSecondaryBlobStore({ BACKUP_STORE_SECONDARY: 'ftp://x', dataDir: '/d' })).toThrow(
      'Invalid setting BACKUP_STORE_SECONDARY: must be file:///absolute/path or s3://BUCKET[/PREFIX] (got "ftp://x").',
    );
  });
});

describe('parseBlobStoreLocation', () => {
  it('reads both forms', () => {
    expect(parseBlobStoreLocation('file:///srv/my backups')).toEqual({ kind: 'file', root: '/srv/my backups' });
    expect(parseBlobStoreLocation('s3://b.example-1')).toEqual({ kind: 's3', bucket: 'b.example-1', prefix: '' });
    expect(parseBlobStoreLocation('s3://bkt/')).toEqual({ kind: 's3', bucket: 'bkt', prefix: '' });
    expect(parseBlobStoreLocation('s3://bkt/p/q')).toEqual({ kind: 's3', bucket: 'bkt', prefix: 'p/q/' });
    expect(parseBlobStoreLocation('s3://bkt/p/q/')).toEqual({ kind: 's3', bucket: 'bkt', prefix: 'p/q/' });
  });

  it('refuses relative paths, bad bucket names and odd prefixes', () => {
    for (const bad of [
      'file://srv/x',
      'file:///srv/../etc',
      'relative/path',
      's3://ab',
      's3://-bucket',
      's3://bucket-',
      's3://a..b',
      's3://BUCKET',
      's3://bkt//p',
      's3://bkt/p//q',
      's3://bkt/.hidden',
      's3://bkt/p q',
    ]) {
      expect(parseBlobStoreLocation(bad), bad).toBeNull();
    }
  });
});
