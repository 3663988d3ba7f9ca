import { redirect } from 'next/navigation';
import { loadVault } from '@/lib/vaults/page';
import { lastVisitedTab } from '@/lib/vaults/queries';

/** A new vault opens on QUICK START; a vault already used opens on the tab the user last visited. */
export default async function VaultHome({ params }: { params: Promise<{ vaultId: string }> }) {
  const { user, vault, svc } = await loadVault((await params).vaultId);
  const tab = (await lastVisitedTab(svc.db, user.id, vault.id)) ?? 'quick-start';
  redirect(`/recovery-services/vaults/${vault.id}/${tab}`);
}
