import type { Metadata } from 'next';
import { VaultList } from '@/components/vaults/vault-list';

export const metadata: Metadata = { title: 'All items' };

// Backup vaults are the only kind of item this portal has, so ALL ITEMS lists them.
export default async function AllItemsPage({
  searchParams,
}: {
  searchParams: Promise<{ after?: string; subscription?: string }>;
}) {
  const { after, subscription } = await searchParams;
  return (
    <VaultList
      title="all items"
      basePath="/all-items"
      after={after}
      subscription={subscription}
      empty={{ title: 'You have no items yet.', text: 'Select NEW at the bottom left to create a backup vault.' }}
    />
  );
}
