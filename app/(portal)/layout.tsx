import type { ReactNode } from 'react';
import { PortalShell } from '@/components/shell/portal-shell';
import { requireUser } from '@/lib/auth/guard';
import { allows } from '@/lib/auth/vault-access';
import { getServices } from '@/lib/services';
import { vaultNamesBySubscription } from '@/lib/vaults/queries';

// Every portal page depends on the signed-in user: never prerendered at build time.
export const dynamic = 'force-dynamic';

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  const names = await vaultNamesBySubscription((await getServices()).db, user);
  const subscriptionLabel =
    user.subscriptions.length === 1 ? user.subscriptions[0]!.displayName : `${user.subscriptions.length} subscriptions`;
  return (
    <PortalShell
      email={user.email}
      subscriptionLabel={subscriptionLabel}
      subscriptions={user.subscriptions.map((s) => ({
        id: s.id,
        displayName: s.displayName,
        vaultNames: names[s.id] ?? [],
        canCreate: allows(s, 'write'),
      }))}
    >
      {children}
    </PortalShell>
  );
}
