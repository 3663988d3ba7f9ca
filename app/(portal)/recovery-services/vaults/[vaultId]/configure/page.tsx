import { TabEmpty } from '@/components/vaults/tab-empty';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function ConfigurePage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault } = await loadVaultTab(params, 'configure');
  return (
    <TabEmpty title="Storage replication">
      This vault keeps its backups {vault.storageReplication === 'GeoRedundant' ? 'geo-redundant' : 'locally redundant'}
      .
    </TabEmpty>
  );
}
