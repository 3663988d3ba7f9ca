import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AGENT_MESSAGES } from '@/wire/protocol';

/**
 * Runs `work` holding the machine's lock on one item, so the service and a `backup` typed by hand never back up the
 * same folder at once. A lock left by a process that no longer runs (killed) is taken over.
 */
export async function withItemLock<T>(stateDir: string, itemPath: string, work: () => Promise<T>): Promise<T> {
  const dir = path.join(stateDir, 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${createHash('sha256').update(itemPath).digest('hex').slice(0, 32)}.lock`);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(error, itemPath);
      const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && isRunning(holder)) {
        throw new Error(AGENT_MESSAGES.backupRunning(itemPath));
      }
      await rm(file, { force: true });
    }
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(error: unknown, itemPath: string): Error {
  return (error as NodeJS.ErrnoException).code === 'EEXIST'
    ? new Error(AGENT_MESSAGES.backupRunning(itemPath))
    : (error as Error);
}
