import { TabEmpty } from '@/components/vaults/tab-empty';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function RegisteredItemsPage({ params }: { params: Promise<{ vaultId: string }> }) {
  await loadVaultTab(params, 'registered-items');
  return (
    <TabEmpty title="No servers are registered to this vault.">
      Download vault credentials from QUICK START and register a server with the agent.
    </TabEmpty>
  );
}
