import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from './env';

/** Writes a file only its owner can read, creating the data directory as needed. */
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
