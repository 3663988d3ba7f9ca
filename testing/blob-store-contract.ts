import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlobInfo, BlobStore } from '@/lib/blob-store/types';

/** More than one ListObjectsV2 / DeleteObjects page. */
export const MANY = 1100;

async function collect(iterable: AsyncIterable<BlobInfo>): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function chunkKey(vault: string): string {
  const hash = randomBytes(32).toString('hex');
  return `objects/${vault}/${hash.slice(0, 2)}/${hash}`;
}

/** Puts with a few requests in flight, as the server does when an agent uploads. */
async function putAll(store: BlobStore, keys: string[], data: Uint8Array, parallel = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await store.put(key, data);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/**
 * The behaviour every BlobStore must have. makeStore is called once per test; each test works under its own vault
 * prefix, so stores may share a root or bucket.
 */
export function describeBlobStore(name: string, makeStore: () => BlobStore): void {
  describe(`${name} (BlobStore contract)`, () => {
    it('round-trips a few MiB, overwrites, and reports absence as null/false', async () => {
      const store = makeStore();
      const vault = randomUUID();
      const key = chunkKey(vault);
      const data = new Uint8Array(randomBytes(5 * 1024 * 1024 + 17));

      expect(await store.get(key)).toBeNull();
      expect(await store.stream(key)).toBeNull();
      expect(await store.has(key)).toBe(false);

      await store.put(key, data);
      expect(await store.has(key)).toBe(true);
      const got = await store.get(key);
      expect(got).not.toBeNull();
      expect(Buffer.from(got!).equals(data)).toBe(true);

      const replacement = new Uint8Array(randomBytes(1234));
      await store.put(key, replacement);
      expect(Buffer.from((await store.get(key))!).equals(replacement)).toBe(true);

      const empty = chunkKey(vault);
      await store.put(empty, new Uint8Array(0));
      expect((await store.get(empty))?.byteLength).toBe(0);
      expect(await store.has(empty)).toBe(true);
    });

    it('streams the stored bytes', async () => {
      const store = makeStore();
      const key = chunkKey(randomUUID());
      const data = new Uint8Array(randomBytes(3 * 1024 * 1024 + 5));
      await store.put(key, data);
      const stream = await store.stream(key);
      expect(stream).not.toBeNull();
      expect(Buffer.from(await readAll(stream!)).equals(data)).toBe(true);
    });

    it('reads a range of an object into a buffer, and reports an absent object or a range past its end as false', async () => {
      const store = makeStore();
      const key = chunkKey(randomUUID());
      const data = new Uint8Array(randomBytes(2 * 1024 * 1024 + 9));
      expect(await store.readRange(key, 0, new Uint8Array(10))).toBe(false);
      await store.put(key, data);
      const middle = new Uint8Array(700_000);
      expect(await store.readRange(key, 1_000_001, middle)).toBe(true);
      expect(Buffer.from(middle).equals(data.subarray(1_000_001, 1_700_001))).toBe(true);
      const tail = new Uint8Array(9);
      expect(await store.readRange(key, data.length - 9, tail)).toBe(true);
      expect(Buffer.from(tail).equals(data.subarray(data.length - 9))).toBe(true);
      expect(await store.readRange(key, data.length - 8, new Uint8Array(9))).toBe(false);
      expect(await store.readRange(key, data.length + 100, new Uint8Array(1))).toBe(false);
      if (store.readRanges) {
        const [a, b] = [new Uint8Array(5000), new Uint8Array(3)];
        expect(
          await store.readRanges(key, [
            { offset: 7, target: a },
            { offset: 2_000_000, target: b },
          ]),
        ).toBe(true);
        expect(Buffer.from(a).equals(data.subarray(7, 5007))).toBe(true);
        expect(Buffer.from(b).equals(data.subarray(2_000_000, 2_000_003))).toBe(true);
        expect(
          await store.readRanges(key, [
            { offset: 0, target: a },
            { offset: data.length, target: b },
          ]),
        ).toBe(false);
      }
    });

    it('deletes idempotently, in batches', async () => {
      const store = makeStore();
      const vault = randomUUID();
      const keep = chunkKey(vault);
      const gone = [chunkKey(vault), chunkKey(vault)];
      await putAll(store, [keep, ...gone], new Uint8Array([1, 2, 3]));

      await store.delete([...gone, chunkKey(vault)]);
      await store.delete(gone);
      await store.delete([]);
      expect(await store.has(gone[0]!)).toBe(false);
      expect(await store.get(gone[1]!)).toBeNull();
      expect(await store.has(keep)).toBe(true);
      expect((await collect(store.list(`objects/${vault}/`))).map((info) => info.key)).toEqual([keep]);
    });

    it(`lists and deletes past one page (${MANY} objects), with sizes and modification times`, async () => {
      const store = makeStore();
      const vault = randomUUID();
      const other = randomUUID();
      const keys = Array.from({ length: MANY }, () => chunkKey(vault));
      const before = Date.now();
      await putAll(store, keys, new Uint8Array([42, 43]));
      await store.put(chunkKey(other), new Uint8Array([7]));
      await store.put(`recovery-points/${vault}/point`, new Uint8Array([1, 2, 3, 4]));

      const listed = await collect(store.list(`objects/${vault}/`));
      expect(listed.map((info) => info.key).sort()).toEqual([...keys].sort());
      for (const info of listed) {
        expect(info.size).toBe(2);
        expect(info.modifiedAt).toBeInstanceOf(Date);
        // Stores keep whole seconds at worst; allow for that and for a little clock skew.
        expect(info.modifiedAt.getTime()).toBeGreaterThanOrEqual(before - 2000);
        expect(info.modifiedAt.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
      }

      // A prefix is matched as a string, as S3 does.
      const firstTwoHex = keys[0]!.split('/')[2]!;
      const partial = await collect(store.list(`objects/${vault}/${firstTwoHex.slice(0, 1)}`));
      expect(partial.map((info) => info.key).sort()).toEqual(
        keys.filter((k) => k.split('/')[2]!.startsWith(firstTwoHex[0]!)).sort(),
      );

      expect(await store.deletePrefix(`objects/${vault}/`)).toBe(MANY);
      expect(await collect(store.list(`objects/${vault}/`))).toEqual([]);
      expect(await store.deletePrefix(`objects/${vault}/`)).toBe(0);
      expect(await store.has(`recovery-points/${vault}/point`)).toBe(true);
      expect(await collect(store.list(`objects/${other}`))).toHaveLength(1);
    });

    it('lists and deletes by string prefix across folder levels', async () => {
      const store = makeStore();
      const base = `order/${randomUUID()}`;
      const keys = [`${base}/a/b`, `${base}/a-c`, `${base}/a.d`, `${base}/a_e`, `${base}/B`];
      await putAll(store, keys, new Uint8Array([1]));
      const listed = await collect(store.list(`${base}/`));
      expect(listed.map((info) => info.key).sort()).toEqual([...keys].sort());
      expect(await store.deletePrefix(`${base}/a`)).toBe(4);
      expect((await collect(store.list(`${base}/`))).map((info) => info.key)).toEqual([`${base}/B`]);
    });

    it('refuses keys that could escape the store', async () => {
      const store = makeStore();
      for (const bad of ['../x', '/x', 'a\\b', 'a/../b', 'a//b', 'a/', '', '.tmp-x', 'a/./b', 'a b', 'ä']) {
        await expect(store.put(bad, new Uint8Array([1]))).rejects.toThrow(/Invalid blob key/);
        await expect(store.get(bad)).rejects.toThrow(/Invalid blob key/);
        await expect(store.has(bad)).rejects.toThrow(/Invalid blob key/);
        await expect(store.stream(bad)).rejects.toThrow(/Invalid blob key/);
        await expect(store.delete(['objects/fine', bad])).rejects.toThrow(/Invalid blob key/);
      }
      await expect(store.deletePrefix('')).rejects.toThrow(/Invalid blob prefix/);
      await expect(store.deletePrefix('../')).rejects.toThrow(/Invalid blob prefix/);
      await expect(collect(store.list('/etc'))).rejects.toThrow(/Invalid blob prefix/);
    });
  });
}
