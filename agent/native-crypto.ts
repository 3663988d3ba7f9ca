import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { type NativeCrypto, registerNativeCrypto } from '@/lib/backup-format';

/** node:crypto for the backup format: synchronous OpenSSL, hashing and sealing each chunk without extra copies. */
export const nodeCrypto: NativeCrypto = {
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest(),
  aesGcmSeal(key, nonce, parts, aad, prefix) {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad);
    const out: Uint8Array[] = prefix.length > 0 ? [prefix] : [];
    for (const part of parts) {
      const sealed = cipher.update(part);
      if (sealed.length > 0) out.push(sealed);
    }
    // GCM is a stream mode: final() adds nothing.
    const rest = cipher.final();
    if (rest.length > 0) out.push(rest);
    out.push(cipher.getAuthTag());
    return out;
  },
  aesGcmOpen(key, nonce, sealed, aad) {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const opened = decipher.update(sealed.subarray(0, sealed.length - 16));
    const rest = decipher.final();
    // GCM is a stream mode: final() adds nothing, so the opened bytes need no second copy.
    return rest.length === 0 ? opened : Buffer.concat([opened, rest]);
  },
};

export function registerNodeCrypto(): void {
  registerNativeCrypto(nodeCrypto);
}
