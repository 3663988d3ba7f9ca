import type { Metadata } from 'next';
import { EmptyState, PageTitle } from '@/components/page-title';
import { requireUser } from '@/lib/auth/guard';

export const metadata: Metadata = { title: 'Recovery services' };

export default async function RecoveryServicesPage() {
  await requireUser();
  return (
    <>
      <PageTitle>recovery services</PageTitle>
      <EmptyState title="You have no backup vaults.">
        Select NEW, then DATA SERVICES, RECOVERY SERVICES, BACKUP VAULT and QUICK CREATE to create one.
      </EmptyState>
    </>
  );
}
