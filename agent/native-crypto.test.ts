import { describe, expect, it } from 'vitest';
import {
  deriveVaultKeys,
  newVaultKey,
  objectId,
  openObject,
  randomBytes,
  sealObject,
  sealObjectPieces,
  setCryptoBackend,
} from '@/lib/backup-format';
import { registerNativeCrypto } from '@/lib/backup-format/crypto';
import { nodeCrypto } from './native-crypto';

const identity = (data: Uint8Array) => data;

describe("the agent's node:crypto backend", () => {
  it('hashes and seals exactly as WebCrypto and the fallback do, so either can open what the other sealed', async () => {
    const keys = await deriveVaultKeys(newVaultKey());
    const plaintext = randomBytes(300_000);
    registerNativeCrypto(nodeCrypto);
    try {
      const sealedByNode = await sealObject(keys, await objectId(keys, plaintext), plaintext);
      for (const backend of ['subtle', 'fallback'] as const) {
        setCryptoBackend(backend);
        const id = await objectId(keys, plaintext);
        expect(new Uint8Array(await openObject(keys, id, sealedByNode, identity))).toEqual(plaintext);
        const sealedOther = await sealObject(keys, id, plaintext);
        setCryptoBackend('native');
        expect(await objectId(keys, plaintext)).toBe(id);
        expect(new Uint8Array(await openObject(keys, id, sealedOther, identity))).toEqual(plaintext);
      }
      setCryptoBackend('native');
      const id = await objectId(keys, plaintext);
      // Pieces as sealing made them: the ciphertext is not copied into one buffer, and in turn they are the object.
      const pieces = await sealObjectPieces(keys, id, plaintext);
      expect(pieces.length).toBeGreaterThan(2);
      expect(pieces.some((piece) => piece.length >= plaintext.length)).toBe(true);
      expect(new Uint8Array(await openObject(keys, id, Buffer.concat(pieces), identity))).toEqual(plaintext);
      const tampered = Uint8Array.from(sealedByNode);
      tampered[100] = (tampered[100] ?? 0) ^ 1;
      await expect(openObject(keys, id, tampered, identity)).rejects.toThrow(/does not decrypt under this vault key/);
    } finally {
      setCryptoBackend('auto');
      registerNativeCrypto(undefined);
    }
  });
});
