import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { pseudoRandomBytes } from '@/testing/backup-format';
import { allowWasmScan, CHUNK_SIZES, Chunker, type ChunkSizes, findBoundary } from './fastcdc';
import { deriveVaultKeys } from './keys';

const MiB = 1024 * 1024;
const SMALL: ChunkSizes = { min: 256, avg: 512, max: 4096 };
const { gear } = await deriveVaultKeys(new Uint8Array(32).fill(7));
const { gear: otherGear } = await deriveVaultKeys(new Uint8Array(32).fill(8));

function chunkAll(data: Uint8Array, pushSize: number, sizes: ChunkSizes = CHUNK_SIZES, table = gear): Uint8Array[] {
  const chunker = new Chunker(table, sizes);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += pushSize) chunks.push(...chunker.push(data.subarray(i, i + pushSize)));
  const last = chunker.finish();
  if (last) chunks.push(last);
  return chunks;
}

// Vitest's toEqual walks typed arrays element by element, far too slowly for tens of megabytes.
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const lengths = (chunks: Uint8Array[]) => chunks.map((c) => c.length);

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

describe('the chunker', () => {
  const data = pseudoRandomBytes(64 * MiB);
  const chunks = chunkAll(data, 4 * MiB);

  it('cuts random data into chunks between min and max, about 512 KiB on average, losing nothing', () => {
    for (const length of lengths(chunks).slice(0, -1)) {
      expect(length).toBeGreaterThanOrEqual(CHUNK_SIZES.min);
      expect(length).toBeLessThanOrEqual(CHUNK_SIZES.max);
    }
    const mean = data.length / chunks.length;
    expect(mean).toBeGreaterThan(0.4 * MiB);
    expect(mean).toBeLessThan(0.65 * MiB);
    expect(sameBytes(concat(chunks), data)).toBe(true);
  });

  it('cuts at the same places however the data arrives', () => {
    const part = data.subarray(0, 24 * MiB);
    const expected = lengths(chunkAll(part, part.length));
    expect(lengths(chunkAll(part, 64 * 1024))).toEqual(expected);
    expect(lengths(chunkAll(part, 3 * MiB + 17))).toEqual(expected);
    expect(lengths(chunkAll(part, 24 * MiB))).toEqual(expected);
  });

  it('cuts at the same places with one-byte pushes', () => {
    const small = pseudoRandomBytes(200_000, 42);
    const expected = chunkAll(small, small.length, SMALL);
    const byteByByte = chunkAll(small, 1, SMALL);
    expect(lengths(byteByByte)).toEqual(lengths(expected));
    expect(sameBytes(concat(byteByByte), small)).toBe(true);
    for (const length of lengths(expected).slice(0, -1)) {
      expect(length).toBeGreaterThanOrEqual(SMALL.min);
      expect(length).toBeLessThanOrEqual(SMALL.max);
    }
  });

  it('is deterministic', () => {
    expect(lengths(chunkAll(data.subarray(0, 16 * MiB), MiB))).toEqual(
      lengths(chunkAll(data.subarray(0, 16 * MiB), MiB)),
    );
  });

  it('resynchronises after an insertion: only the first chunks change', () => {
    const original = data.subarray(0, 32 * MiB);
    const edited = new Uint8Array(original.length + 5);
    edited.set(original.subarray(0, 1000), 0);
    edited.set([1, 2, 3, 4, 5], 1000);
    edited.set(original.subarray(1000), 1005);
    const before = lengths(chunkAll(original, MiB));
    const after = lengths(chunkAll(edited, MiB));
    expect(after.length).toBe(before.length);
    const changed = after.filter((length, i) => length !== before[i]).length;
    expect(changed).toBeGreaterThanOrEqual(1);
    expect(changed).toBeLessThanOrEqual(2);
    expect(after.slice(2)).toEqual(before.slice(2));
  });

  it('resynchronises after an overwrite in the middle: a few chunks around it change, the rest are the same', () => {
    const original = data.subarray(0, 32 * MiB);
    const edited = original.slice();
    edited.set(pseudoRandomBytes(64 * 1024, 9), 16 * MiB);
    const before = chunkAll(original, MiB);
    const after = chunkAll(edited, MiB);
    const starts = (chunks: Uint8Array[]) => {
      let offset = 0;
      return chunks.map((c) => {
        const start = offset;
        offset += c.length;
        return `${start}+${c.length}+${createHash('sha256').update(c).digest('hex')}`;
      });
    };
    const old = new Set(starts(before));
    const fresh = starts(after).filter((s) => !old.has(s));
    const freshBytes = fresh.reduce((n, s) => n + Number(s.split('+')[1]), 0);
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(fresh.length).toBeLessThanOrEqual(5);
    // The overwritten 64 KiB plus the chunks around it: far less than the 32 MiB a fixed shift would cost.
    expect(freshBytes).toBeGreaterThan(64 * 1024);
    expect(freshBytes).toBeLessThan(4 * MiB);
  });

  it('cuts elsewhere under another vault key', () => {
    const part = data.subarray(0, 16 * MiB);
    expect(lengths(chunkAll(part, MiB, CHUNK_SIZES, otherGear))).not.toEqual(lengths(chunkAll(part, MiB)));
  });

  it('cuts data without cut points at max', () => {
    const zeros = new Uint8Array(3 * SMALL.max + 10);
    expect(lengths(chunkAll(zeros, 1000, SMALL))).toEqual([SMALL.max, SMALL.max, SMALL.max, 10]);
  });

  it('returns nothing for an empty stream and the whole of a stream shorter than min', () => {
    expect(chunkAll(new Uint8Array(0), 1, SMALL)).toEqual([]);
    expect(lengths(chunkAll(pseudoRandomBytes(100), 7, SMALL))).toEqual([100]);
  });

  it('refuses sizes it cannot honour', () => {
    expect(() => new Chunker(gear, { min: 256, avg: 1000, max: 4096 })).toThrow(RangeError);
    expect(() => new Chunker(gear, { min: 2048, avg: 1024, max: 4096 })).toThrow(RangeError);
    expect(() => new Chunker(new Uint32Array(16))).toThrow(RangeError);
  });
});

describe('the gear hash in WebAssembly', () => {
  afterEach(() => allowWasmScan(true));

  it('cuts exactly where the loop in JavaScript cuts, under any key, chunk sizes and pushes', () => {
    const data = pseudoRandomBytes(24 * MiB, 11);
    // Long runs of one byte: no cut point for a while, so chunks end at max and the hash carries across windows.
    data.fill(0, 5 * MiB, 14 * MiB);
    const cases: Array<[ChunkSizes, Uint32Array, number]> = [
      [CHUNK_SIZES, gear, 4 * MiB],
      [CHUNK_SIZES, otherGear, 64 * 1024 + 3],
      [SMALL, gear, 1000],
      [{ min: 1024, avg: 1024 + 256 * 1024, max: 1024 * 1024 }, otherGear, 100_000],
    ];
    expect(allowWasmScan(true)).toBe(true);
    for (const [sizes, table, push] of cases) {
      const withWasm = lengths(chunkAll(data, push, sizes, table));
      allowWasmScan(false);
      const withJs = lengths(chunkAll(data, push, sizes, table));
      allowWasmScan(true);
      expect(withWasm).toEqual(withJs);
      expect(withWasm.length).toBeGreaterThan(4);
    }
  });
});

describe('findBoundary', () => {
  const data = pseudoRandomBytes(100_000, 3);

  it('agrees with the chunker', () => {
    const expected = lengths(chunkAll(data, data.length, SMALL));
    const found: number[] = [];
    let start = 0;
    for (;;) {
      const cut = findBoundary(gear, data, start, data.length, SMALL);
      if (cut < 0) break;
      found.push(cut);
      start += cut;
    }
    found.push(data.length - start);
    expect(found).toEqual(expected);
  });

  it('asks for more data until it finds a cut point or reaches max', () => {
    const first = findBoundary(gear, data, 0, data.length, SMALL);
    expect(findBoundary(gear, data, 0, first - 1, SMALL)).toBe(-1);
    expect(findBoundary(gear, data, 0, first, SMALL)).toBe(first);
    expect(findBoundary(gear, new Uint8Array(SMALL.max - 1), 0, SMALL.max - 1, SMALL)).toBe(-1);
    expect(findBoundary(gear, new Uint8Array(SMALL.max), 0, SMALL.max, SMALL)).toBe(SMALL.max);
  });
});
