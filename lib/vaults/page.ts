import 'server-only';
import { notFound } from 'next/navigation';
import { after } from 'next/server';
import { cache } from 'react';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { getVault, rememberTab, type VaultTab } from './queries';

/** The guard of every vault page: signed in, and the vault is in one of the user's subscriptions (else 404). */
export const loadVault = cache(async (vaultId: string) => {
  const user = await requireUser();
  const svc = await getServices();
  const vault = await getVault(svc.db, user, vaultId);
  if (!vault) notFound();
  return { user, vault, svc };
});

/** loadVault for a tab page; the tab is remembered after the response, so the vault reopens on it. */
export async function loadVaultTab(params: Promise<{ vaultId: string }>, tab: VaultTab) {
  const loaded = await loadVault((await params).vaultId);
  after(() => rememberTab(loaded.svc.db, loaded.user.id, loaded.vault.id, tab));
  return loaded;
}
