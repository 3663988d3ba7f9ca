import { replicationAnswer } from '@/lib/replication/status';
import { getServices } from '@/lib/services';
import type { StorageReplication } from '@/lib/vaults/replication';
import { LiveReplication } from './replication-live';

/**
 * The DASHBOARD's Replication figure (quick glance): `Up to date`, `Behind by SIZE (oldest TIME ago)`, or why there is
 * no secondary copy, from the database, rendered with the page and then kept live (LiveReplication). The page has
 * checked that the user may read the vault.
 */
export async function ReplicationFigure({ vault }: { vault: { id: string; storageReplication: StorageReplication } }) {
  const svc = await getServices();
  return <LiveReplication vaultId={vault.id} initial={await replicationAnswer(svc, vault)} />;
}
