import 'server-only';
import { cookies } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { PortalError } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { getAuthOptions } from './options';
import { sessionUserId } from './session';
import { loadUser, type PortalUser } from './users';
import { allows, checkVaultAccess, type VaultAccessLevel, type VaultAccessOptions } from './vault-access';

/** The signed-in user with their subscriptions, or null. Checked against the database: a deleted user is signed out. */
export const currentUser = cache(async (): Promise<PortalUser | null> => {
  const id = await sessionUserId(await cookies(), getAuthOptions().secret!);
  return id ? loadUser(id) : null;
});

/** The one guard every portal page and server action passes first. */
export async function requireUser(): Promise<PortalUser> {
  const user = await currentUser();
  if (!user) redirect('/signin');
  return user;
}

/**
 * The vault guard for pages and server actions: the signed-in user's access to the vault at `level`
 * (lib/auth/vault-access.ts). A vault the user may not see is the page's 404; any other refusal is thrown as the
 * PortalError it is. `canChange` is whether the user's role may change the vault: pages disable their changing
 * buttons without it (the server refuses such requests anyway).
 */
export async function requireVaultAccess(vaultId: string, level: VaultAccessLevel, options?: VaultAccessOptions) {
  const user = await requireUser();
  const svc = await getServices();
  const checked = await checkVaultAccess(svc.db, user, vaultId, level, options);
  if (checked instanceof PortalError) {
    if (checked.code === 'not_found') notFound();
    throw checked;
  }
  return { user, svc, ...checked, canChange: allows(checked.access, 'write') };
}
