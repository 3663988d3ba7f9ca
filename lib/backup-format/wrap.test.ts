import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './crypto';
import { newVaultKey } from './keys';
import {
  derivePassphraseKey,
  type KdfCost,
  parseWrappedVaultKey,
  unwrapVaultKey,
  unwrapWithPassphraseKey,
  type WrappedVaultKey,
  WrongPassphraseError,
  wrapVaultKey,
} from './wrap';

// The smallest settings parseWrappedVaultKey accepts, so tests stay fast.
const FAST: KdfCost = { memoryKiB: 8192, iterations: 1, parallelism: 1 };
const PASSPHRASE = 'correct horse battery staple';

describe('a wrapped vault key', () => {
  it('opens with its passphrase and survives JSON', async () => {
    const vaultKey = newVaultKey();
    const wrapped = await wrapVaultKey(vaultKey, PASSPHRASE, FAST);
    expect(wrapped.kdf).toMatchObject({ algorithm: 'argon2id', ...FAST });
    const stored = JSON.parse(JSON.stringify(wrapped)) as unknown;
    expect(await unwrapVaultKey(parseWrappedVaultKey(stored), PASSPHRASE)).toEqual(vaultKey);
  });

  it('opens with a passphrase key derived once', async () => {
    const vaultKey = newVaultKey();
    const wrapped = await wrapVaultKey(vaultKey, PASSPHRASE, { memoryKiB: 1024, iterations: 1, parallelism: 1 });
    const passphraseKey = await derivePassphraseKey(PASSPHRASE, wrapped.kdf);
    expect(await unwrapWithPassphraseKey(wrapped, passphraseKey)).toEqual(vaultKey);
  });

  it('says the passphrase is incorrect when it is', async () => {
    const wrapped = await wrapVaultKey(newVaultKey(), PASSPHRASE, FAST);
    const attempt = unwrapVaultKey(wrapped, 'correct horse battery stapler');
    await expect(attempt).rejects.toBeInstanceOf(WrongPassphraseError);
    await expect(attempt).rejects.toThrow(/^The passphrase is incorrect\.$/);
  });

  it('treats the composed and decomposed forms of a passphrase as the same', async () => {
    const vaultKey = newVaultKey();
    const wrapped = await wrapVaultKey(vaultKey, 'caf\u00e9 au lait, s\u2019il vous pla\u00eet', FAST);
    expect(await unwrapVaultKey(wrapped, 'cafe\u0301 au lait, s\u2019il vous plai\u0302t')).toEqual(vaultKey);
  });

  it('refuses an altered ciphertext or altered parameters', async () => {
    const wrapped = await wrapVaultKey(newVaultKey(), PASSPHRASE, FAST);
    const ciphertext = fromBase64(wrapped.ciphertext);
    ciphertext[0]! ^= 1;
    const tampered: WrappedVaultKey[] = [
      { ...wrapped, ciphertext: toBase64(ciphertext) },
      { ...wrapped, kdf: { ...wrapped.kdf, iterations: 2 } },
      { ...wrapped, kdf: { ...wrapped.kdf, memoryKiB: 16384 } },
      { ...wrapped, nonce: toBase64(new Uint8Array(12)) },
    ];
    for (const copy of tampered)
      await expect(unwrapVaultKey(copy, PASSPHRASE)).rejects.toBeInstanceOf(WrongPassphraseError);
  });

  it('refuses to derive with parameters that would exhaust the machine', async () => {
    const wrapped = await wrapVaultKey(newVaultKey(), PASSPHRASE, FAST);
    await expect(
      unwrapVaultKey({ ...wrapped, kdf: { ...wrapped.kdf, memoryKiB: 4 * 1024 * 1024 } }, PASSPHRASE),
    ).rejects.toThrow(/memory/);
    await expect(unwrapVaultKey({ ...wrapped, kdf: { ...wrapped.kdf, iterations: 1000 } }, PASSPHRASE)).rejects.toThrow(
      /iterations/,
    );
  });
});

describe('parseWrappedVaultKey', () => {
  const valid = {
    version: 1,
    kdf: { algorithm: 'argon2id', memoryKiB: 65536, iterations: 3, parallelism: 1, salt: toBase64(new Uint8Array(32)) },
    nonce: toBase64(new Uint8Array(12)),
    ciphertext: toBase64(new Uint8Array(48)),
  };

  it('accepts a well-formed key and keeps only the known fields', () => {
    const parsed = parseWrappedVaultKey({ ...valid, extra: 'dropped', kdf: { ...valid.kdf, note: 1 } });
    expect(parsed).toEqual(valid);
  });

  it.each([
    ['not an object', 'nope', /not an object/],
    ['another version', { ...valid, version: 2 }, /version/],
    ['another algorithm', { ...valid, kdf: { ...valid.kdf, algorithm: 'scrypt' } }, /algorithm/],
    ['too little memory', { ...valid, kdf: { ...valid.kdf, memoryKiB: 4096 } }, /memoryKiB/],
    ['too much memory', { ...valid, kdf: { ...valid.kdf, memoryKiB: 2 * 1024 * 1024 } }, /memoryKiB/],
    ['no iterations', { ...valid, kdf: { ...valid.kdf, iterations: 0 } }, /iterations/],
    ['fractional iterations', { ...valid, kdf: { ...valid.kdf, iterations: 1.5 } }, /iterations/],
    ['too much parallelism', { ...valid, kdf: { ...valid.kdf, parallelism: 9 } }, /parallelism/],
    ['a short salt', { ...valid, kdf: { ...valid.kdf, salt: toBase64(new Uint8Array(8)) } }, /salt/],
    ['a salt that is not base64', { ...valid, kdf: { ...valid.kdf, salt: 'not base64!' } }, /salt/],
    ['a short nonce', { ...valid, nonce: toBase64(new Uint8Array(8)) }, /nonce/],
    ['a ciphertext of the wrong size', { ...valid, ciphertext: toBase64(new Uint8Array(32)) }, /ciphertext/],
    ['a missing ciphertext', { ...valid, ciphertext: undefined }, /ciphertext/],
  ])('refuses %s', (_, value, message) => {
    expect(() => parseWrappedVaultKey(value)).toThrow(message);
  });
});
