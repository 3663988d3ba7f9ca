import { ReplicationForm } from '@/components/vaults/replication-form';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function ConfigurePage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, canChange } = await loadVaultTab(params, 'configure');
  return (
    <ReplicationForm
      key={`${vault.storageReplication}-${vault.replicationLocked}`}
      vaultId={vault.id}
      saved={vault.storageReplication}
      locked={vault.replicationLocked}
      canChange={canChange}
    />
  );
}
