import Link from 'next/link';
import { VaultCharts } from '@/components/center/vault-charts';
import { Tile } from '@/components/tile';
import { DeleteVault } from '@/components/vaults/delete-vault';
import { Facts } from '@/components/vaults/facts';
import { ReplicationFigure } from '@/components/vaults/replication-figure';
import { activeAlertCounts } from '@/lib/alerts/queries';
import { dailySeries, windowDays } from '@/lib/center/queries';
import { loadVaultTab } from '@/lib/vaults/page';
import { regionName } from '@/lib/vaults/regions';
import { REPLICATION } from '@/lib/vaults/replication';
import { formatBytes, vaultUsage } from '@/lib/vaults/usage';

export default async function DashboardPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc, canChange } = await loadVaultTab(params, 'dashboard');
  const [usage, alerts, series] = await Promise.all([
    vaultUsage(svc.db, vault.id),
    activeAlertCounts(svc.db, vault.id),
    dailySeries(svc.pool, { vaultId: vault.id }, windowDays(svc.clock.now(), 30)),
  ]);
  return (
    <div className="grid max-w-5xl gap-10 lg:grid-cols-[2fr_1fr]">
      <section aria-labelledby="usage-overview">
        <h2 id="usage-overview" className="mb-4 text-xl font-light">
          usage overview
        </h2>
        <dl className="grid grid-cols-3 gap-3">
          <Tile label="REGISTERED SERVERS" value={usage.registeredServers} />
          <Tile label="PROTECTED ITEMS" value={usage.protectedItems} />
          <Tile label="STORAGE USED" value={formatBytes(usage.storageUsedBytes)} />
        </dl>
        <h3 className="mt-6 mb-3 text-lg font-light">jobs in the last 24 hours</h3>
        <dl className="grid grid-cols-3 gap-3">
          <Tile label="SUCCESSFUL" value={usage.jobs.succeeded} tone="good" />
          <Tile label="FAILED" value={usage.jobs.failed} tone={usage.jobs.failed ? 'bad' : undefined} />
          <Tile label="IN PROGRESS" value={usage.jobs.inProgress} tone="busy" />
        </dl>
        <h3 className="mt-6 mb-3 text-lg font-light">active alerts</h3>
        <dl className="grid grid-cols-3 gap-3">
          <Tile label="CRITICAL" value={alerts.Critical} tone={alerts.Critical ? 'bad' : undefined} />
          <Tile label="WARNING" value={alerts.Warning} tone={alerts.Warning ? 'warn' : undefined} />
        </dl>
        <p className="mt-2 text-sm">
          <Link href={`/recovery-services/vaults/${vault.id}/alerts`} className="text-portal-blue underline">
            View alerts
          </Link>
        </p>
      </section>
      <section aria-labelledby="quick-glance">
        <h2 id="quick-glance" className="mb-4 text-xl font-light">
          quick glance
        </h2>
        <Facts
          items={[
            ['Status', vault.status],
            ['Location', regionName(vault.region)],
            ['Subscription', vault.subscriptionName],
            ['Subscription ID', <code key="sub">{vault.subscriptionId}</code>],
            ['Storage replication', REPLICATION[vault.storageReplication].label],
            ['Replication', <ReplicationFigure key="replication" vault={vault} />],
            ['Created', vault.createdAt.toUTCString()],
          ]}
        />
      </section>
      <VaultCharts jobs={series.jobs} storage={series.storage} />
      <DeleteVault
        vaultId={vault.id}
        vaultName={vault.name}
        disabled={
          !canChange || usage.registeredServers > 0 || vault.status === 'Creating' || vault.status === 'Deleting'
        }
      />
    </div>
  );
}
