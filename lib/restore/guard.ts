import 'server-only';
import { currentUser } from '@/lib/auth/guard';
import type { PortalUser } from '@/lib/auth/users';
import { signInRequired } from '@/lib/errors';
import { getServices, type Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import type { VaultRow } from '@/lib/vaults/queries';

/**
 * The guard of the browser's reads of backup data, the same check as every vault page: signed in (`unauthenticated`
 * otherwise) and the vault in one of the user's subscriptions (`not_found` otherwise, as a page's notFound); the route
 * handler answers the refusal (answerRefusals).
 */
export async function readableVault(vaultId: string): Promise<{ user: PortalUser; vault: VaultRow; svc: Services }> {
  const user = await currentUser();
  if (!user) throw signInRequired();
  const svc = await getServices();
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'read');
  return { user, vault, svc };
}
