import 'server-only';
import { formatBytes } from '@/lib/format';
import type { Services } from '@/lib/services';
import type { StorageReplication } from '@/lib/vaults/replication';

export type ReplicationStatus =
  | { state: 'unconfigured' }
  | { state: 'local' }
  | { state: 'current' }
  | { state: 'behind'; bytes: number; packs: number; oldestSeconds: number };

export const REPLICATION_TEXT = {
  unconfigured: 'No secondary store is configured on this portal.',
  local: 'Not replicated (Locally Redundant)',
  current: 'Up to date',
} as const;

/** "12 seconds", "3 minutes", "5 hours", "2 days". */
export function ago(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const [value, unit] =
    s < 60
      ? [s, 'second']
      : s < 3600
        ? [Math.floor(s / 60), 'minute']
        : s < 86400
          ? [Math.floor(s / 3600), 'hour']
          : [Math.floor(s / 86400), 'day'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

/** The DASHBOARD's Replication figure as words. */
export function replicationText(status: ReplicationStatus): string {
  if (status.state === 'behind')
    return `Behind by ${formatBytes(status.bytes)} (oldest ${ago(status.oldestSeconds)} ago)`;
  return REPLICATION_TEXT[status.state];
}

/**
 * How far the vault's copy in the secondary store is behind, from the database: the packs still due for copying, their
 * size and the oldest one's age (one probe of backup_packs_replication_lag).
 */
export async function replicationStatus(
  svc: Pick<Services, 'pool' | 'secondaryStore'>,
  vault: { id: string; storageReplication: StorageReplication },
): Promise<ReplicationStatus> {
  if (!svc.secondaryStore) return { state: 'unconfigured' };
  if (vault.storageReplication === 'LocallyRedundant') return { state: 'local' };
  const { rows } = await svc.pool.query<{ bytes: string; packs: number; oldest: number | null }>(
    `select coalesce(sum(size), 0)::bigint as bytes, count(*)::int as packs,
            extract(epoch from portal_now() - min(stored_at))::float8 as oldest
       from backup_packs where vault_id = $1 and replicate and replicated_at is null`,
    [vault.id],
  );
  const row = rows[0]!;
  if (row.packs === 0) return { state: 'current' };
  return { state: 'behind', bytes: Number(row.bytes), packs: row.packs, oldestSeconds: row.oldest ?? 0 };
}

/** The DASHBOARD figure as its route answers it (and as the page renders it first). */
export type ReplicationAnswer = { text: string; state: ReplicationStatus['state'] };

export async function replicationAnswer(
  svc: Pick<Services, 'pool' | 'secondaryStore'>,
  vault: { id: string; storageReplication: StorageReplication },
): Promise<ReplicationAnswer> {
  const status = await replicationStatus(svc, vault);
  return { text: replicationText(status), state: status.state };
}
