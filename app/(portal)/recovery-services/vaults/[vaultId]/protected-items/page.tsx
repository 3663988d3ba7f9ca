import { ProtectedItems } from '@/components/vaults/protected-items';
import { TabEmpty } from '@/components/vaults/tab-empty';
import { listProtectedItems, PROTECTION_STATUS_TEXT } from '@/lib/backups/portal';
import { listPolicies } from '@/lib/policies/policies';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function ProtectedItemsPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc, canChange } = await loadVaultTab(params, 'protected-items');
  const [items, policies] = await Promise.all([listProtectedItems(svc.db, vault.id), listPolicies(svc.db, vault.id)]);
  if (items.length === 0) {
    return (
      <TabEmpty title="No items are protected in this vault.">
        On a registered server, run the agent with <code>protect --path FOLDER</code>, then <code>backup</code>.
      </TabEmpty>
    );
  }
  return (
    <ProtectedItems
      vaultId={vault.id}
      canChange={canChange}
      policies={policies.map((p) => ({ id: p.id, name: p.name }))}
      items={items.map((item) => ({
        id: item.id,
        name: item.path,
        server: item.serverName,
        status: item.damaged ? 'Damaged' : PROTECTION_STATUS_TEXT[item.status],
        stopped: item.status === 'Stopped',
        recoveryPoints: item.recoveryPoints,
        newestPoint: item.newestPoint ? item.newestPoint.toUTCString() : '—',
        lastBackupStatus: item.backupRunning
          ? 'In progress'
          : item.backupRequested
            ? 'Backup requested'
            : (item.lastBackupStatus ?? '—'),
        policyId: item.policyId,
        policy: item.policyName,
      }))}
    />
  );
}
