import { RegisteredItems } from '@/components/vaults/registered-items';
import { TabEmpty } from '@/components/vaults/tab-empty';
import { listServers, UNREGISTER_CONFIRM } from '@/lib/servers/servers';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function RegisteredItemsPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc, canChange } = await loadVaultTab(params, 'registered-items');
  const servers = await listServers(svc.db, vault.id);
  if (servers.length === 0) {
    return (
      <TabEmpty title="No servers are registered to this vault.">
        Download vault credentials and the agent from QUICK START, then register a server with the agent.
      </TabEmpty>
    );
  }
  return (
    <RegisteredItems
      confirmText={UNREGISTER_CONFIRM}
      canChange={canChange}
      servers={servers.map((s) => ({
        id: s.id,
        name: s.name,
        reregistrationAllowed: s.reregistrationAllowed,
        lastBackup: s.lastBackupAt ? s.lastBackupAt.toUTCString() : 'No backup yet',
      }))}
    />
  );
}
