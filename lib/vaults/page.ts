import 'server-only';
import { after } from 'next/server';
import { cache } from 'react';
import { requireVaultAccess } from './guard';
import { rememberTab, type VaultTab } from './queries';

/** The guard of every vault page: signed in, and the vault is in one of the user's subscriptions (else 404). */
export const loadVault = cache((vaultId: string) => requireVaultAccess(vaultId, 'read'));

/** loadVault for a tab page; the tab is remembered after the response, so the vault reopens on it. */
export async function loadVaultTab(params: Promise<{ vaultId: string }>, tab: VaultTab) {
  const loaded = await loadVault((await params).vaultId);
  after(() => rememberTab(loaded.svc.db, loaded.user.id, loaded.vault.id, tab));
  return loaded;
}
