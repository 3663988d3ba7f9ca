import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readingWithFallback } from './fallback';
import { FileBlobStore } from './file';
import type { BlobStore } from './types';

let dirs: string[];
let primary: FileBlobStore;
let secondary: FileBlobStore;
beforeAll(async () => {
  dirs = await Promise.all([1, 2].map(() => mkdtemp(path.join(os.tmpdir(), 'fallback-'))));
  primary = new FileBlobStore(dirs[0]!);
  secondary = new FileBlobStore(dirs[1]!);
  await primary.put('packs/both', Buffer.from('primary bytes'));
  await secondary.put('packs/both', Buffer.from('secondary bytes'));
  await secondary.put('packs/second', Buffer.from('only in the secondary'));
});
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The store, every read of which throws as an unreachable bucket's would. */
function broken(store: BlobStore): BlobStore {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      };
    },
  });
}

const text = (bytes: Uint8Array | null) => (bytes ? Buffer.from(bytes).toString() : null);

describe('readingWithFallback', () => {
  it('is the primary itself without a secondary', () => {
    expect(readingWithFallback(primary, null)).toBe(primary);
  });

  it('reads the primary while it answers, and the secondary only for a miss', async () => {
    const store = readingWithFallback(primary, secondary);
    expect(text(await store.get('packs/both'))).toBe('primary bytes');
    expect(text(await store.get('packs/second'))).toBe('only in the secondary');
    const target = new Uint8Array(4);
    expect(await store.readRange('packs/second', 5, target)).toBe(true);
    expect(Buffer.from(target).toString()).toBe('in t');
    const ranges = [
      { offset: 0, target: new Uint8Array(4) },
      { offset: 8, target: new Uint8Array(2) },
    ];
    expect(await store.readRanges!('packs/second', ranges)).toBe(true);
    expect(ranges.map((r) => Buffer.from(r.target).toString())).toEqual(['only', 'th']);
    expect(await store.get('packs/nowhere')).toBeNull();
    expect(await store.readRange('packs/nowhere', 0, new Uint8Array(1))).toBe(false);
  });

  it('reads the secondary when the primary fails, and gives the primary failure when both fail', async () => {
    const store = readingWithFallback(broken(primary), secondary);
    expect(text(await store.get('packs/both'))).toBe('secondary bytes');
    await expect(store.get('packs/nowhere')).rejects.toThrow('ECONNREFUSED');
    // The secondary's own failure never hides the primary's answer.
    expect(await readingWithFallback(primary, broken(secondary)).get('packs/nowhere')).toBeNull();
  });

  it('writes and lists only the primary', async () => {
    const store = readingWithFallback(primary, secondary);
    await store.put('packs/new', Buffer.from('new'));
    expect(await secondary.has('packs/new')).toBe(false);
    const keys: string[] = [];
    for await (const blob of store.list('packs/')) keys.push(blob.key);
    expect(keys.sort()).toEqual(['packs/both', 'packs/new']);
  });
});

describe('readingWithFallback over a primary without readRanges', () => {
  it('has no readRanges either, so readers take their many-at-once path', () => {
    const noRanges = new Proxy(primary, {
      get: (target, prop) => (prop === 'readRanges' ? undefined : Reflect.get(target, prop, target)),
    });
    expect(readingWithFallback(noRanges, secondary).readRanges).toBeUndefined();
    expect(readingWithFallback(primary, secondary).readRanges).toBeTypeOf('function');
  });
});
