import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '@/lib/services/settings';

/** Writes a file only its owner can read, creating the data directory as needed. */
/**
 * SHA-256 of a secret the portal hands out once and keeps only hashed (an invitation link, an API token, a recovery
 * code, a machine's session token): the bytes, and as hex, the form the text columns keep.
 */
export function hashSecretBytes(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function hashSecret(secret: string): string {
  return hashSecretBytes(secret).toString('hex');
}

export function writePrivateFile(file: string, contents: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, contents, { mode: 0o600 });
}

/** The files the portal writes for its owner's eyes only. */
const PRIVATE_FILES = ['auth-secret', 'admin-credentials.txt'];

/**
 * Makes the data directory (0700) and the secret files in it (0600) private again, whatever mode they were left
 * with (an older version, a restore from a backup, a careless copy). Files that do not exist yet are left alone.
 */
export function securePrivateFiles(env: Pick<Env, 'dataDir'>): void {
  const tighten = (file: string, mode: number) => {
    try {
      if ((statSync(file).mode & 0o777) !== mode) chmodSync(file, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  tighten(env.dataDir, 0o700);
  for (const name of PRIVATE_FILES) tighten(path.join(env.dataDir, name), 0o600);
}

/**
 * AUTH_SECRET when set; otherwise one generated on first start and kept in the data directory, so sessions survive
 * restarts without the operator having to invent a secret.
 */
export function resolveAuthSecret(env: Env): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  const file = path.join(env.dataDir, 'auth-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  writePrivateFile(file, `${secret}\n`);
  return secret;
}

/** A key for one purpose only, derived from the auth secret (HKDF-SHA256), so no two uses share a key. */
function derivedKey(authSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', authSecret, 'backup-vault-portal', purpose, 32));
}

const SEALED_PREFIX = 'v1.';

/**
 * Seals a small secret for the database with AES-256-GCM under a key derived from the auth secret for `purpose`.
 * `boundTo` (e.g. the owner's id) is authenticated with it, so a sealed value copied to another row does not open.
 */
export function seal(authSecret: string, purpose: string, boundTo: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derivedKey(authSecret, purpose), iv);
  cipher.setAAD(Buffer.from(boundTo));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The plaintext of a sealed value, or null when it does not open (another auth secret, another owner, altered). */
export function unseal(authSecret: string, purpose: string, boundTo: string, sealed: string): string | null {
  if (!sealed.startsWith(SEALED_PREFIX)) return null;
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
  if (raw.length < 12 + 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', derivedKey(authSecret, purpose), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
