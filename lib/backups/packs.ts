/**
 * Packs: the objects of one uploaded batch are stored as one blob, not one blob each. Creating a file costs the
 * folder store about a millisecond of kernel time whatever its size (and an S3 store a request), which for a backup's
 * thousands of small files and 512 KiB chunks was most of the portal's CPU; a pack of a few MiB costs that once.
 *
 * A pack is the batch's frames as the agent sent them (32-byte id, 4-byte big-endian length, sealed bytes), so it
 * describes itself; backup_objects names each object's pack and the offset of its sealed bytes. Objects stored before
 * packs keep their own blobs (pack_id null) and are read as before. Kept free of 'server-only', like object-batches.
 */

import type { BlobStore } from '@/lib/blob-store';
import { readFrame, writeFrameHeader } from '@/wire/frame';
import { OBJECT_FRAME_HEADER } from '@/wire/protocol';
import { keyPrefix, objectBlobKey } from './store';

const PACKS = 'packs';

export function packBlobKey(keyId: string, packId: string): string {
  return `${keyPrefix(keyId)}${PACKS}/${packId}`;
}

/** The pack a blob key of this key's namespace names, or null for an object's own blob. */
export function packIdOf(keyId: string, blobKey: string): string | null {
  const prefix = `${keyPrefix(keyId)}${PACKS}/`;
  return blobKey.startsWith(prefix) ? blobKey.slice(prefix.length) : null;
}

/** Where an object's sealed bytes are (backup_objects' size, pack_id and pack_offset). */
export type ObjectPlace = { size: number; packId: string | null; packOffset: number | null };

/** Reads an object's sealed bytes into `target` (exactly its size); false when the store lacks them. */
export async function readObjectInto(
  store: BlobStore,
  keyId: string,
  objectId: string,
  place: ObjectPlace,
  target: Uint8Array,
): Promise<boolean> {
  if (place.packId !== null) return store.readRange(packBlobKey(keyId, place.packId), place.packOffset ?? 0, target);
  const key = objectBlobKey(keyId, objectId);
  if (store.readInto) return store.readInto(key, target);
  const data = await store.get(key);
  if (data?.length !== target.length) return false;
  target.set(data);
  return true;
}

/**
 * Reads several objects into their targets, each pack opened once for all of its objects asked here (a restore asks
 * for a file's chunks together, and they lie in few packs). Returns the ids the store lacked.
 */
export async function readObjectsInto(
  store: BlobStore,
  keyId: string,
  reads: ReadonlyArray<{ id: string; place: ObjectPlace; target: Uint8Array }>,
  concurrency: number,
): Promise<string[]> {
  const byPack = new Map<string, Array<{ id: string; place: ObjectPlace; target: Uint8Array }>>();
  const jobs: Array<() => Promise<string[]>> = [];
  for (const read of reads) {
    if (read.place.packId === null || !store.readRanges) {
      jobs.push(async () => ((await readObjectInto(store, keyId, read.id, read.place, read.target)) ? [] : [read.id]));
      continue;
    }
    const group = byPack.get(read.place.packId);
    if (group) group.push(read);
    else byPack.set(read.place.packId, [read]);
  }
  for (const [packId, group] of byPack) {
    group.sort((a, b) => (a.place.packOffset ?? 0) - (b.place.packOffset ?? 0));
    const ranges = group.map((r) => ({ offset: r.place.packOffset ?? 0, target: r.target }));
    jobs.push(async () => {
      if (await store.readRanges!(packBlobKey(keyId, packId), ranges)) return [];
      // Some range is missing: find out which, one by one.
      const lost: string[] = [];
      for (const r of group) if (!(await readObjectInto(store, keyId, r.id, r.place, r.target))) lost.push(r.id);
      return lost;
    });
  }
  const lost: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) lost.push(...(await jobs[next++]!()));
    }),
  );
  return lost;
}

/** An object's sealed bytes, or null when the store lacks them. */
export async function readObject(
  store: BlobStore,
  keyId: string,
  objectId: string,
  place: ObjectPlace,
): Promise<Uint8Array | null> {
  const target = new Uint8Array(place.size);
  return (await readObjectInto(store, keyId, objectId, place, target)) ? target : null;
}

export type PackFrame = { id: string; data: Uint8Array };

/**
 * The pack of these objects and the offset of each one's sealed bytes in it. When they are views of `body`, the
 * upload they came in, each right after its frame header (as parseFrames returns them), and are all of it in order,
 * the body is the pack as it is: no copy.
 */
export function buildPack(body: Uint8Array | null, frames: PackFrame[]): { bytes: Uint8Array; offsets: number[] } {
  let whole = body !== null;
  let expected = (body?.byteOffset ?? 0) + OBJECT_FRAME_HEADER;
  for (const frame of frames) {
    if (frame.data.buffer !== body?.buffer || frame.data.byteOffset !== expected) whole = false;
    expected = frame.data.byteOffset + frame.data.length + OBJECT_FRAME_HEADER;
  }
  if (body && whole && expected - OBJECT_FRAME_HEADER === body.byteOffset + body.length) {
    return { bytes: body, offsets: frames.map((f) => f.data.byteOffset - body.byteOffset) };
  }
  const bytes = Buffer.allocUnsafe(frames.reduce((n, f) => n + OBJECT_FRAME_HEADER + f.data.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const frame of frames) {
    at = writeFrameHeader(bytes, at, frame.id, frame.data.length);
    offsets.push(at);
    bytes.set(frame.data, at);
    at += frame.data.length;
  }
  return { bytes, offsets };
}

/**
 * The ids of every object whose bytes a key's namespace in the store holds, whatever rows say: own blobs by name,
 * packs by reading their frames. For checks and tests that what the index no longer names is really gone.
 */
export async function storedObjectIds(store: BlobStore, keyId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const blob of store.list(keyPrefix(keyId))) {
    if (packIdOf(keyId, blob.key) === null) {
      ids.add(blob.key.slice(blob.key.lastIndexOf('/') + 1));
      continue;
    }
    const pack = await store.get(blob.key);
    if (!pack) continue;
    for (let frame = readFrame(pack, 0); frame; frame = readFrame(pack, frame.next)) ids.add(frame.id);
  }
  return ids;
}
