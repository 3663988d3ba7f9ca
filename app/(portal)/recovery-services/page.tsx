import type { Metadata } from 'next';
import { VaultList } from '@/components/vaults/vault-list';

export const metadata: Metadata = { title: 'Recovery services' };

export default async function RecoveryServicesPage({ searchParams }: { searchParams: Promise<{ after?: string }> }) {
  const { after } = await searchParams;
  return (
    <VaultList
      title="recovery services"
      basePath="/recovery-services"
      after={after}
      empty={{
        title: 'You have no backup vaults.',
        text: 'Select NEW, then DATA SERVICES, RECOVERY SERVICES, BACKUP VAULT and QUICK CREATE to create one.',
      }}
    />
  );
}
