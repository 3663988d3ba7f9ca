import path from 'node:path';
import { FileBlobStore } from './file';
import { BLOB_STORE_LOCATION_HINT, parseBlobStoreLocation } from './location';
import { S3BlobStore } from './s3';
import type { BlobStore } from './types';

export { readingWithFallback } from './fallback';
export { FileBlobStore } from './file';
export { assertBlobKey, assertBlobPrefix } from './keys';
export { type BlobStoreLocation, parseBlobStoreLocation } from './location';
export { S3BlobStore, type S3BlobStoreOptions } from './s3';
export type { BlobInfo, BlobStore } from './types';

export type BlobStoreSettings = {
  BACKUP_STORE?: string;
  /** The secondary region's store (see openSecondaryBlobStore); unset: none. */
  BACKUP_STORE_SECONDARY?: string;
  BACKUP_STORE_S3_ENDPOINT?: string;
  BACKUP_STORE_S3_REGION?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  /** The resolved PORTAL_DATA_DIR; the default store is its `backups` folder. */
  dataDir: string;
};

/** The store BACKUP_STORE names (see portal-contract.md, "Backups"); pass the portal's settings. */
export function openBlobStore(settings: BlobStoreSettings): BlobStore {
  return openLocation(
    'BACKUP_STORE',
    settings.BACKUP_STORE || `file://${path.resolve(settings.dataDir, 'backups')}`,
    settings,
  );
}

/**
 * The store BACKUP_STORE_SECONDARY names, or null when it is unset: a bucket shares BACKUP_STORE's S3 endpoint, region
 * and credentials.
 */
export function openSecondaryBlobStore(settings: BlobStoreSettings): BlobStore | null {
  const value = settings.BACKUP_STORE_SECONDARY;
  return value ? openLocation('BACKUP_STORE_SECONDARY', value, settings) : null;
}

function openLocation(name: string, value: string, settings: BlobStoreSettings): BlobStore {
  const location = parseBlobStoreLocation(value);
  if (!location) throw new Error(`Invalid setting ${name}: ${BLOB_STORE_LOCATION_HINT} (got "${value}").`);
  if (location.kind === 'file') return new FileBlobStore(location.root);
  return new S3BlobStore({
    bucket: location.bucket,
    prefix: location.prefix,
    endpoint: settings.BACKUP_STORE_S3_ENDPOINT || undefined,
    region: settings.BACKUP_STORE_S3_REGION || undefined,
    accessKeyId: settings.AWS_ACCESS_KEY_ID || undefined,
    secretAccessKey: settings.AWS_SECRET_ACCESS_KEY || undefined,
  });
}

const cache = globalThis as typeof globalThis & { __portalBlobStores?: Map<string, BlobStore> };

/** The blob store the settings name, one per process and location (the S3 client keeps its connections). */
export function blobStoreFor(settings: BlobStoreSettings): BlobStore {
  cache.__portalBlobStores ??= new Map();
  const id = `${settings.BACKUP_STORE ?? ''}|${settings.dataDir}`;
  let store = cache.__portalBlobStores.get(id);
  if (!store) {
    store = openBlobStore(settings);
    cache.__portalBlobStores.set(id, store);
  }
  return store;
}

/** The secondary store the settings name (null when unset), one per process and location, as blobStoreFor. */
export function secondaryBlobStoreFor(settings: BlobStoreSettings): BlobStore | null {
  if (!settings.BACKUP_STORE_SECONDARY) return null;
  cache.__portalBlobStores ??= new Map();
  const id = `secondary|${settings.BACKUP_STORE_SECONDARY}`;
  let store = cache.__portalBlobStores.get(id);
  if (!store) {
    store = openSecondaryBlobStore(settings)!;
    cache.__portalBlobStores.set(id, store);
  }
  return store;
}
