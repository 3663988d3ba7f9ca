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
    })
    .from(operations)
    .where(and(eq(operations.vaultId, vaultId), ne(operations.kind, 'ConfigureVault')))
    .orderBy(desc(operations.startedAt))
    .limit(limit);
}

export const OPERATION_LABELS: Record<string, string> = {
  CreateVault: 'Create vault',
  DeleteVault: 'Delete vault',
  Register: 'Register server',
  Unregister: 'Unregister server',
  AllowReregistration: 'Allow re-registration',
};
