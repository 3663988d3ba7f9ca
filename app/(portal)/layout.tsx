import type { ReactNode } from 'react';
import { PortalShell } from '@/components/shell/portal-shell';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { countVaults } from '@/lib/vaults/queries';

// Every portal page depends on the signed-in user: never prerendered at build time.
export const dynamic = 'force-dynamic';

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const [user, { db }] = await Promise.all([requireUser(), getServices()]);
  // Only the count: the New dialog fetches the vault names it checks against when it opens.
  const vaultCount = await countVaults(db, user);
  const subscriptionLabel =
    user.subscriptions.length === 1 ? user.subscriptions[0]!.displayName : `${user.subscriptions.length} subscriptions`;
  return (
    <PortalShell
      email={user.email}
      subscriptionLabel={subscriptionLabel}
      vaultCount={vaultCount}
      subscriptions={user.subscriptions.map((s) => ({ id: s.id, displayName: s.displayName }))}
    >
      {children}
    </PortalShell>
  );
}
