import 'server-only';
import { notFound } from 'next/navigation';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { allows, checkVaultAccess, type VaultAccessLevel, type VaultAccessOptions } from './access';

/**
 * The vault guard for pages and server actions: the signed-in user's access to the vault at `level`
 * (lib/vaults/access.ts). A vault the user may not see is the page's 404; any other refusal is thrown as the
 * PortalError it is. `canChange` is whether the user's role may change the vault: pages disable their changing
 * buttons without it (the server refuses such requests anyway).
 */
export async function requireVaultAccess(vaultId: string, level: VaultAccessLevel, options?: VaultAccessOptions) {
  const user = await requireUser();
  const svc = await getServices();
  const checked = await checkVaultAccess(svc.db, user, vaultId, level, options);
  if (!('vault' in checked)) {
    if (checked.code === 'not_found') notFound();
    throw checked;
  }
  return { user, svc, ...checked, canChange: allows(checked.access, 'write') };
}
