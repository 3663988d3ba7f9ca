import 'server-only';
import { currentUser } from '@/lib/auth/guard';
import type { PortalUser } from '@/lib/auth/users';
import { errorResponse, PortalError, portalErrorResponse } from '@/lib/errors';
import { getServices, type Services } from '@/lib/services';
import { checkVaultAccess } from '@/lib/vaults/access';
import type { VaultRow } from '@/lib/vaults/queries';

/**
 * The guard of the browser's reads of backup data, the same check as every vault page: signed in (401 otherwise) and
 * the vault in one of the user's subscriptions (404 otherwise, as a page's notFound).
 */
export async function readableVault(
  vaultId: string,
): Promise<{ ok: true; user: PortalUser; vault: VaultRow; svc: Services } | { ok: false; response: Response }> {
  const user = await currentUser();
  if (!user) return { ok: false, response: errorResponse(401, 'unauthenticated', 'Sign in to continue.') };
  const svc = await getServices();
  const checked = await checkVaultAccess(svc.db, user, vaultId, 'read');
  if (checked instanceof PortalError) return { ok: false, response: portalErrorResponse(checked) };
  return { ok: true, user, vault: checked.vault, svc };
}
