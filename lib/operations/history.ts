import 'server-only';
import { and, desc, eq, ne } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { operations } from '@/db/schema';

export const JOBS_PAGE_SIZE = 50;

/** A vault's jobs, newest first (operations_vault_idx); configuration changes are notifications, not jobs. */
export async function vaultJobs(db: Database, vaultId: string, limit = JOBS_PAGE_SIZE) {
  return db
    .select({
      id: operations.id,
      kind: operations.kind,
      status: operations.status,
      startedAt: operations.startedAt,
      endedAt: operations.endedAt,
      message: operations.message,
      itemName: operations.itemName,
      serverName: operations.serverName,
      bytesDone: operations.bytesDone,
      bytesTotal: operations.bytesTotal,
      filesDone: operations.filesDone,
      filesTotal: operations.filesTotal,
      bytesPerSecond: operations.bytesPerSecond,
      secondsLeft: operations.secondsLeft,
      dataTransferred: operations.dataTransferred,
    })
    .from(operations)
    .where(and(eq(operations.vaultId, vaultId), ne(operations.kind, 'ConfigureVault')))
    .orderBy(desc(operations.startedAt))
    .limit(limit);
}

export type VaultJob = Awaited<ReturnType<typeof vaultJobs>>[number];

export const OPERATION_LABELS: Record<string, string> = {
  CreateVault: 'Create vault',
  DeleteVault: 'Delete vault',
  Register: 'Register server',
  Unregister: 'Unregister server',
  AllowReregistration: 'Allow re-registration',
  Protect: 'Protect',
  Backup: 'Backup',
  Restore: 'Restore',
  StopProtection: 'Stop protection',
};

/** The classic JOBS tab's status words. */
export const JOB_STATUS_LABELS: Record<string, string> = {
  InProgress: 'In progress',
  Succeeded: 'Completed',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
};
