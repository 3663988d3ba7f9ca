import { TabEmpty } from '@/components/vaults/tab-empty';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function ProtectedItemsPage({ params }: { params: Promise<{ vaultId: string }> }) {
  await loadVaultTab(params, 'protected-items');
  return (
    <TabEmpty title="No items are protected in this vault.">
      Items appear here once a registered server has backed them up.
    </TabEmpty>
  );
}
