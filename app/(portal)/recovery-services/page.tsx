import type { Metadata } from 'next';
import { VaultList } from '@/components/vaults/vault-list';

export const metadata: Metadata = { title: 'Recovery services' };

export default async function RecoveryServicesPage({
  searchParams,
}: {
  searchParams: Promise<{ after?: string; subscription?: string }>;
}) {
  const { after, subscription } = await searchParams;
  return (
    <VaultList
      title="recovery services"
      basePath="/recovery-services"
      after={after}
      subscription={subscription}
      empty={{
        title: 'You have no backup vaults.',
        text: 'Select NEW, then DATA SERVICES, RECOVERY SERVICES, BACKUP VAULT and QUICK CREATE to create one.',
      }}
    />
  );
}
