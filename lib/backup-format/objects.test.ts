import { afterEach, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, rleCompress, rleDecompress } from '@/testing/backup-format';
import { setCryptoBackend } from './crypto';
import { deriveVaultKeys, newVaultKey } from './keys';
import {
  CorruptObjectError,
  MAX_SEALED_SIZE,
  OBJECT_ID_PATTERN,
  objectId,
  openObject,
  SEAL_OVERHEAD,
  sealObject,
} from './objects';

const keys = await deriveVaultKeys(newVaultKey());
const otherVault = await deriveVaultKeys(newVaultKey());
const noDecompress = () => {
  throw new Error('nothing here is compressed');
};
const text = (s: string) => new TextEncoder().encode(s);

afterEach(() => setCryptoBackend('auto'));

async function seal(plaintext: Uint8Array, compress?: (p: Uint8Array) => Uint8Array) {
  const id = await objectId(keys, plaintext);
  return { id, sealed: await sealObject(keys, id, plaintext, compress) };
}

describe('object ids', () => {
  it('are keyed hashes: stable within a vault, different across vaults', async () => {
    const data = text('the same content');
    const id = await objectId(keys, data);
    expect(id).toMatch(OBJECT_ID_PATTERN);
    expect(await objectId(keys, text('the same content'))).toBe(id);
    expect(await objectId(keys, text('other content'))).not.toBe(id);
    expect(await objectId(otherVault, data)).not.toBe(id);
  });
});

describe('a sealed object', () => {
  it('opens to its plaintext when stored raw', async () => {
    const plaintext = pseudoRandomBytes(5000);
    const { id, sealed } = await seal(plaintext);
    expect(sealed).toHaveLength(plaintext.length + SEAL_OVERHEAD);
    expect(await openObject(keys, id, sealed, noDecompress)).toEqual(plaintext);
  });

  it('is stored compressed when that pays, and decompressed on opening', async () => {
    const plaintext = new Uint8Array(10_000).fill(65);
    const { id, sealed } = await seal(plaintext, rleCompress);
    expect(sealed.length).toBeLessThan(500);
    expect(await openObject(keys, id, sealed, rleDecompress)).toEqual(plaintext);
  });

  it('is stored raw when compression does not pay', async () => {
    const plaintext = pseudoRandomBytes(5000, 11);
    const { id, sealed } = await seal(plaintext, rleCompress);
    expect(sealed).toHaveLength(plaintext.length + SEAL_OVERHEAD);
    expect(await openObject(keys, id, sealed, noDecompress)).toEqual(plaintext);
  });

  it('accepts an asynchronous compressor and an empty plaintext', async () => {
    const plaintext = new Uint8Array(4000).fill(1);
    const id = await objectId(keys, plaintext);
    const sealed = await sealObject(keys, id, plaintext, async (p) => rleCompress(p));
    expect(await openObject(keys, id, sealed, async (d) => rleDecompress(d))).toEqual(plaintext);

    const empty = await seal(new Uint8Array(0), rleCompress);
    expect(await openObject(keys, empty.id, empty.sealed, noDecompress)).toEqual(new Uint8Array(0));
  });

  it('uses a fresh nonce each time, so sealing twice gives different bytes', async () => {
    const plaintext = text('twice');
    const a = await seal(plaintext);
    const b = await seal(plaintext);
    expect(a.sealed).not.toEqual(b.sealed);
  });

  it('refuses any altered byte', async () => {
    const { id, sealed } = await seal(new Uint8Array(3000).fill(9), rleCompress);
    for (const index of [0, 1, 12, 13, sealed.length - 17, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[index]! ^= 0x40;
      await expect(openObject(keys, id, altered, rleDecompress)).rejects.toBeInstanceOf(CorruptObjectError);
    }
    await expect(openObject(keys, id, sealed.subarray(0, 20), rleDecompress)).rejects.toBeInstanceOf(
      CorruptObjectError,
    );
  });

  it('refuses to open under another id or another vault key', async () => {
    const a = await seal(text('object a'));
    const b = await seal(text('object b'));
    await expect(openObject(keys, b.id, a.sealed, noDecompress)).rejects.toThrow(CorruptObjectError);
    await expect(openObject(otherVault, a.id, a.sealed, noDecompress)).rejects.toThrow(CorruptObjectError);
  });

  it('refuses content that does not hash to its id, even when sealed with the vault key', async () => {
    const plaintext = text('what the id names');
    const id = await objectId(keys, plaintext);
    const forged = await sealObject(keys, id, text('something else'));
    await expect(openObject(keys, id, forged, noDecompress)).rejects.toThrow(/does not match its id/);

    const compressed = await sealObject(keys, id, new Uint8Array(1000), rleCompress);
    await expect(openObject(keys, id, compressed, () => plaintext.slice(1))).rejects.toBeInstanceOf(CorruptObjectError);
  });

  it('opens under one crypto backend what the other sealed', async () => {
    const plaintext = pseudoRandomBytes(70_000, 5);
    setCryptoBackend('fallback');
    const byFallback = await seal(plaintext);
    setCryptoBackend('subtle');
    const bySubtle = await seal(plaintext);
    expect(bySubtle.id).toBe(byFallback.id);
    expect(await openObject(keys, byFallback.id, byFallback.sealed, noDecompress)).toEqual(plaintext);
    setCryptoBackend('fallback');
    expect(await openObject(keys, bySubtle.id, bySubtle.sealed, noDecompress)).toEqual(plaintext);
  });

  it('refuses bad ids and objects over the size limit', async () => {
    await expect(sealObject(keys, 'ABC', text('x'))).rejects.toThrow(/Not an object id/);
    const big = new Uint8Array(MAX_SEALED_SIZE - SEAL_OVERHEAD + 1);
    await expect(sealObject(keys, await objectId(keys, big), big)).rejects.toThrow(RangeError);
  });
});
