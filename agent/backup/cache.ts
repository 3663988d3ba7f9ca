import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the agent remembers of a file it backed up: if its size, time and inode are the same, it is not read again. */
export type CachedFile = { size: number; mtimeMs: number; ino: number; chunks: string[] };

type CacheFile = { version: 1; keyId: string; files: Record<string, CachedFile> };

function cachePath(stateDir: string, itemPath: string): string {
  const name = createHash('sha256').update(itemPath).digest('hex').slice(0, 32);
  return path.join(stateDir, 'cache', `${name}.json`);
}

/** The files of the item's last completed backup under this key; empty when there is none or it is unreadable. */
export async function readFileCache(
  stateDir: string,
  itemPath: string,
  keyId: string,
): Promise<Map<string, CachedFile>> {
  try {
    const parsed = JSON.parse(await readFile(cachePath(stateDir, itemPath), 'utf8')) as CacheFile;
    if (parsed.version !== 1 || parsed.keyId !== keyId || typeof parsed.files !== 'object') return new Map();
    return new Map(Object.entries(parsed.files));
  } catch {
    return new Map();
  }
}

/** Replaces the item's cache atomically, once its recovery point is committed (never for a failed backup). */
export async function writeFileCache(
  stateDir: string,
  itemPath: string,
  keyId: string,
  files: Map<string, CachedFile>,
): Promise<void> {
  const file = cachePath(stateDir, itemPath);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${randomUUID()}.tmp`;
  const contents: CacheFile = { version: 1, keyId, files: Object.fromEntries(files) };
  try {
    await writeFile(temporary, JSON.stringify(contents), { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function clearFileCache(stateDir: string, itemPath: string): Promise<void> {
  await rm(cachePath(stateDir, itemPath), { force: true });
}
