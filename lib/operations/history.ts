import 'server-only';
import { desc, eq } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { operations } from '@/db/schema';

export const JOBS_PAGE_SIZE = 50;

/** A vault's operations, newest first (operations_vault_idx). */
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
    .where(eq(operations.vaultId, vaultId))
    .orderBy(desc(operations.startedAt))
    .limit(limit);
}

export const OPERATION_LABELS: Record<string, string> = {
  CreateVault: 'Create vault',
  DeleteVault: 'Delete vault',
};
