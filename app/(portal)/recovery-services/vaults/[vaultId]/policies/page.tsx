import { TabEmpty } from '@/components/vaults/tab-empty';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function PoliciesPage({ params }: { params: Promise<{ vaultId: string }> }) {
  await loadVaultTab(params, 'policies');
  return (
    <TabEmpty title="This vault has no backup policies.">
      Policies are scheduled from the agent on a registered server and appear here.
    </TabEmpty>
  );
}
