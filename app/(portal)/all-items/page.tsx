import type { Metadata } from 'next';
import { EmptyState, PageTitle } from '@/components/page-title';
import { requireUser } from '@/lib/auth/guard';

export const metadata: Metadata = { title: 'All items' };

export default async function AllItemsPage() {
  await requireUser();
  return (
    <>
      <PageTitle>all items</PageTitle>
      <EmptyState title="You have no items yet.">Select NEW at the bottom left to create a backup vault.</EmptyState>
    </>
  );
}
