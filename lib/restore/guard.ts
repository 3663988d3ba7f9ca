import 'server-only';
import { currentUser } from '@/lib/auth/guard';
import type { PortalUser } from '@/lib/auth/users';
import { getServices, type Services } from '@/lib/services';
import { getVault, type VaultRow } from '@/lib/vaults/queries';

/**
 * The guard of the browser's reads of backup data, the same check as every vault page: signed in (401 otherwise) and
 * the vault in one of the user's subscriptions (404 otherwise, as a page's notFound).
 */
export async function readableVault(
  vaultId: string,
): Promise<{ ok: true; user: PortalUser; vault: VaultRow; svc: Services } | { ok: false; response: Response }> {
  const user = await currentUser();
  if (!user) return { ok: false, response: Response.json({ error: 'Sign in to continue.' }, { status: 401 }) };
  const svc = await getServices();
  const vault = await getVault(svc.db, user, vaultId);
  if (!vault)
    return { ok: false, response: Response.json({ error: 'The backup vault was not found.' }, { status: 404 }) };
  return { ok: true, user, vault, svc };
}
