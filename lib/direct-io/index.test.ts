import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowDirectIo,
  BLOCK,
  directBytes,
  NewFile,
  openForDirectReads,
  pageAlignedBuffer,
  readRangesDirect,
  SequentialWriter,
} from '.';

let root = '';
/** Whether the test folder's file system takes direct I/O (ext4 does; tmpfs does not): then it must be used. */
let supported = false;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'direct-io-'));
  await writeFile(path.join(root, 'probe'), 'x');
  const probe = await openForDirectReads(path.join(root, 'probe'));
  supported = probe !== undefined;
  await probe?.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const random = (size: number) => new Uint8Array(randomBytes(size));

describe('NewFile', () => {
  it('writes an aligned buffer of any length: whole blocks directly, the last partial block the ordinary way', async () => {
    const data = pageAlignedBuffer(3 * 1024 * 1024 + 123);
    data.set(random(data.length));
    const file = path.join(root, 'aligned');
    const before = directBytes.written;
    const out = await NewFile.create(file, 0o600);
    await out.write(data, 0);
    await out.handle.sync();
    await out.close();
    expect(Buffer.from(await readFile(file)).equals(data)).toBe(true);
    expect(directBytes.written - before).toBe(supported ? 3 * 1024 * 1024 : 0);
    // Created exclusively: a second create of the same name fails and leaves the file as it was.
    await expect(NewFile.create(file, 0o600)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(Buffer.from(await readFile(file)).equals(data)).toBe(true);
  });

  it('writes memory not on a page boundary, or at an offset off a block boundary, the ordinary way', async () => {
    const aligned = pageAlignedBuffer(1024 * 1024 + 16);
    aligned.set(random(aligned.length));
    const unaligned = aligned.subarray(16);
    const file = path.join(root, 'unaligned');
    const before = directBytes.written;
    const out = await NewFile.create(file, 0o600);
    await out.write(unaligned, 0);
    // Then an aligned buffer at an offset that is not a multiple of a block: ordinary as well.
    await out.write(aligned.subarray(0, 2 * BLOCK), unaligned.length);
    await out.close();
    const expected = Buffer.concat([unaligned, aligned.subarray(0, 2 * BLOCK)]);
    expect(Buffer.from(await readFile(file)).equals(expected)).toBe(true);
    expect(directBytes.written).toBe(before);
  });

  it('writes nothing directly when direct I/O is turned off', async () => {
    const was = allowDirectIo(false);
    try {
      const data = pageAlignedBuffer(256 * 1024);
      data.set(random(data.length));
      const file = path.join(root, 'off');
      const before = directBytes.written;
      const out = await NewFile.create(file, 0o640);
      await out.write(data, 0);
      await out.close();
      expect(Buffer.from(await readFile(file)).equals(data)).toBe(true);
      expect(directBytes.written).toBe(before);
    } finally {
      allowDirectIo(was);
    }
  });
});

describe('SequentialWriter', () => {
  it('writes pieces of any sizes in order through its staging buffer, byte for byte', async () => {
    const pieces = [1, 5000, 64 * 1024, 3 * 1024 * 1024 + 7, 0, 4095, 4097, 200_000].map(random);
    const file = path.join(root, 'sequential');
    const out = await NewFile.create(file, 0o600);
    const writer = new SequentialWriter(out, pageAlignedBuffer(64 * 1024));
    const before = directBytes.written;
    for (const piece of pieces) await writer.append(piece);
    await writer.finish();
    await out.close();
    const expected = Buffer.concat(pieces);
    expect(Buffer.from(await readFile(file)).equals(expected)).toBe(true);
    // Everything but the last partial block went directly, where the file system allows it.
    const whole = expected.length - (expected.length % BLOCK);
    expect(directBytes.written - before).toBe(supported ? whole : 0);
  });
});

describe('readRangesDirect', () => {
  it('fills ranges in any order, near and far, larger than its scratch memory, up to the end of the file', async () => {
    const data = random(1024 * 1024 + 123);
    const file = path.join(root, 'ranges');
    await writeFile(file, data);
    const handle = await openForDirectReads(file);
    if (!handle) {
      expect(supported).toBe(false);
      return;
    }
    try {
      const ranges = [
        [900_000, 100_123], // to the very end of the file
        [0, 1],
        [10, 5000], // overlapping the next
        [4000, 70_000], // larger than the scratch memory
        [600_000, 3], // far from the others
        [1, 9],
        [4096, 4096],
      ].map(([offset, length]) => ({ offset: offset!, target: new Uint8Array(length!) }));
      const before = directBytes.read;
      expect(await readRangesDirect(handle, ranges, pageAlignedBuffer(16 * 1024))).toBe(true);
      for (const { offset, target } of ranges) {
        expect(Buffer.from(target).equals(data.subarray(offset, offset + target.length))).toBe(true);
      }
      expect(directBytes.read).toBeGreaterThan(before);
      // A range that ends past the file, alone or after others: false.
      const past = [
        { offset: 5, target: new Uint8Array(10) },
        { offset: data.length - 10, target: new Uint8Array(11) },
      ];
      expect(await readRangesDirect(handle, past, pageAlignedBuffer(16 * 1024))).toBe(false);
      expect(
        await readRangesDirect(
          handle,
          [{ offset: data.length + 1, target: new Uint8Array(1) }],
          pageAlignedBuffer(BLOCK),
        ),
      ).toBe(false);
    } finally {
      await handle.close();
    }
  });
});

describe('pageAlignedBuffer', () => {
  it('has exactly the size asked for, and is writable', () => {
    const buffer = pageAlignedBuffer(100_001);
    expect(buffer.length).toBe(100_001);
    buffer[100_000] = 7;
    expect(buffer[100_000]).toBe(7);
  });
});
