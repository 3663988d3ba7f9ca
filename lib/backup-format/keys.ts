import { hkdfSha256, randomBytes } from './crypto';

export const VAULT_KEY_BYTES = 32;

/** The keys one vault's backups use, all derived from the vault key, which only the machines and the owner know. */
export type VaultKeys = {
  /** Keys the HMAC that names objects, so ids reveal nothing about content to anyone without the vault key. */
  idKey: Uint8Array;
  /** AES-256-GCM key for every sealed object. */
  encKey: Uint8Array;
  /** The chunker's gear table: secret, so where chunks are cut does not fingerprint known files. */
  gear: Uint32Array;
};

export function newVaultKey(): Uint8Array {
  return randomBytes(VAULT_KEY_BYTES);
}

export async function deriveVaultKeys(vaultKey: Uint8Array): Promise<VaultKeys> {
  if (vaultKey.length !== VAULT_KEY_BYTES) throw new RangeError(`A vault key has ${VAULT_KEY_BYTES} bytes.`);
  const [idKey, encKey, gearBytes] = await Promise.all([
    hkdfSha256(vaultKey, 'rsv-backup v1 chunk-id', 32),
    hkdfSha256(vaultKey, 'rsv-backup v1 encryption', 32),
    hkdfSha256(vaultKey, 'rsv-backup v1 gear', 256 * 4),
  ]);
  // Read as little-endian explicitly so the table does not depend on the machine's byte order.
  const view = new DataView(gearBytes.buffer, gearBytes.byteOffset, gearBytes.byteLength);
  const gear = new Uint32Array(256);
  for (let i = 0; i < 256; i++) gear[i] = view.getUint32(i * 4, true);
  return { idKey, encKey, gear };
}
