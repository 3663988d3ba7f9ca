import 'server-only';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';

export { formatBytes } from '@/lib/format';

export type VaultUsage = {
  registeredServers: number;
  protectedItems: number;
  storageUsedBytes: number;
  jobs: { succeeded: number; failed: number; inProgress: number };
};

/**
 * The Dashboard's usage overview, live: one round trip, on indexes (registered_servers by vault, protected_items by
 * vault, the vault's daily rollups, operations_vault_idx). Storage used is what the blob store holds for the vault:
 * the sealed objects, after deduplication and compression, as the rollups count them (what was added less what
 * was removed, day by day), so it costs the same however many objects the vault holds.
 */
export async function vaultUsage(db: Database, vaultId: string): Promise<VaultUsage> {
  const { rows } = await db.execute<{
    servers: number;
    protected_items: number;
    storage: string;
    succeeded: number;
    failed: number;
    in_progress: number;
  }>(sql`
    select
      (select count(*)::int from registered_servers where vault_id = ${vaultId}) as servers,
      (select count(*)::int from protected_items where vault_id = ${vaultId}) as protected_items,
      (select coalesce(sum(bytes_added - bytes_removed), 0)::text from vault_days where vault_id = ${vaultId}) as storage,
      count(*) filter (where status = 'Succeeded')::int as succeeded,
      count(*) filter (where status = 'Failed')::int as failed,
      count(*) filter (where status = 'InProgress')::int as in_progress
    from operations
    where vault_id = ${vaultId} and kind <> 'ConfigureVault' and started_at > portal_now() - interval '24 hours'`);
  const row = rows[0]!;
  return {
    registeredServers: row.servers,
    protectedItems: row.protected_items,
    storageUsedBytes: Number(row.storage),
    jobs: { succeeded: row.succeeded, failed: row.failed, inProgress: row.in_progress },
  };
}
