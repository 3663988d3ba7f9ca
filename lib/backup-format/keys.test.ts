import { afterEach, describe, expect, it } from 'vitest';
import { setCryptoBackend, toHex } from './crypto';
import { deriveVaultKeys, newVaultKey, VAULT_KEY_BYTES } from './keys';

afterEach(() => setCryptoBackend('auto'));

describe('vault keys', () => {
  it('are random and of the documented size', () => {
    const a = newVaultKey();
    expect(a).toHaveLength(VAULT_KEY_BYTES);
    expect(toHex(a)).not.toBe(toHex(newVaultKey()));
  });

  it('derive independent keys and a full gear table, the same on every backend', async () => {
    const vaultKey = newVaultKey();
    setCryptoBackend('subtle');
    const keys = await deriveVaultKeys(vaultKey);
    expect(keys.idKey).toHaveLength(32);
    expect(keys.encKey).toHaveLength(32);
    expect(toHex(keys.idKey)).not.toBe(toHex(keys.encKey));
    expect(keys.gear).toHaveLength(256);
    expect(new Set(keys.gear).size).toBeGreaterThan(250);

    setCryptoBackend('fallback');
    const again = await deriveVaultKeys(vaultKey);
    expect(again.idKey).toEqual(keys.idKey);
    expect(again.encKey).toEqual(keys.encKey);
    expect(again.gear).toEqual(keys.gear);
  });

  it('differ between vaults', async () => {
    const [a, b] = await Promise.all([deriveVaultKeys(newVaultKey()), deriveVaultKeys(newVaultKey())]);
    expect(toHex(a.idKey)).not.toBe(toHex(b.idKey));
    expect(a.gear).not.toEqual(b.gear);
  });

  it('refuse a key of the wrong size', async () => {
    await expect(deriveVaultKeys(new Uint8Array(16))).rejects.toThrow(RangeError);
  });
});
