import path from 'node:path';

/**
 * Where BACKUP_STORE points. Kept apart from the stores (no SDK import) so lib/services/settings.ts can validate the setting with the
 * same rules openBlobStore applies.
 */
export type BlobStoreLocation = { kind: 'file'; root: string } | { kind: 's3'; bucket: string; prefix: string };

export const BLOB_STORE_LOCATION_HINT = 'must be file:///absolute/path or s3://BUCKET[/PREFIX]';

// S3's rules for new buckets: 3-63 of lowercase letters, digits, dots and hyphens, a letter or digit at each end.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*)?$/;

/** null when the value is neither form. The file form is taken literally (no percent-decoding): it is a path. */
export function parseBlobStoreLocation(value: string): BlobStoreLocation | null {
  if (value.startsWith('file://')) {
    const root = value.slice('file://'.length);
    if (!root.startsWith('/') || root.split('/').includes('..')) return null;
    return { kind: 'file', root: path.resolve(root) };
  }
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(value);
  if (!match) return null;
  const bucket = match[1]!;
  const prefix = match[2] ?? '';
  if (!BUCKET.test(bucket) || bucket.includes('..') || !PREFIX.test(prefix)) return null;
  return { kind: 's3', bucket, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}
