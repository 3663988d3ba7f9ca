import { type BlobStore, openBlobStore } from '@/lib/blob-store';
import type { Env } from '@/lib/env';

const holder = globalThis as typeof globalThis & { __portalBlobStores?: Map<string, BlobStore> };

/** The blob store the settings name, one per process and location (the S3 client keeps its connections). */
export function blobStoreFor(env: Env): BlobStore {
  holder.__portalBlobStores ??= new Map();
  const id = `${env.BACKUP_STORE ?? ''}|${env.dataDir}`;
  let store = holder.__portalBlobStores.get(id);
  if (!store) {
    store = openBlobStore(env);
    holder.__portalBlobStores.set(id, store);
  }
  return store;
}

/** Where a sealed object lives: its key's namespace, then a fan-out by the id's first byte. */
export function objectBlobKey(keyId: string, objectId: string): string {
  return `${keyPrefix(keyId)}${objectId.slice(0, 2)}/${objectId}`;
}

export function keyPrefix(keyId: string): string {
  return `objects/${keyId}/`;
}
