import { count, eq } from 'drizzle-orm';
import { DeleteVault } from '@/components/vaults/delete-vault';
import { Facts } from '@/components/vaults/facts';
import { registeredServers } from '@/db/schema';
import { loadVaultTab } from '@/lib/vaults/page';
import { regionName } from '@/lib/vaults/regions';

export default async function DashboardPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc } = await loadVaultTab(params, 'dashboard');
  const [servers] = await svc.db
    .select({ n: count() })
    .from(registeredServers)
    .where(eq(registeredServers.vaultId, vault.id));
  const registered = servers?.n ?? 0;
  return (
    <section aria-labelledby="quick-glance" className="max-w-3xl">
      <h2 id="quick-glance" className="mb-4 text-xl font-light">
        quick glance
      </h2>
      <Facts
        items={[
          ['Status', vault.status],
          ['Location', regionName(vault.region)],
          ['Subscription', vault.subscriptionName],
          ['Subscription ID', <code key="sub">{vault.subscriptionId}</code>],
          ['Storage replication', vault.storageReplication === 'GeoRedundant' ? 'Geo-Redundant' : 'Locally Redundant'],
          ['Registered servers', registered],
          ['Created', vault.createdAt.toUTCString()],
        ]}
      />
      <DeleteVault
        vaultId={vault.id}
        vaultName={vault.name}
        disabled={registered > 0 || vault.status === 'Creating' || vault.status === 'Deleting'}
      />
    </section>
  );
}
