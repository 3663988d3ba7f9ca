import type { ReactNode } from 'react';
import { PortalShell } from '@/components/shell/portal-shell';
import { requireUser } from '@/lib/auth/guard';

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  const subscriptionLabel =
    user.subscriptions.length === 1 ? user.subscriptions[0]!.displayName : `${user.subscriptions.length} subscriptions`;
  return (
    <PortalShell email={user.email} subscriptionLabel={subscriptionLabel} counts={{ all: 0, recoveryServices: 0 }}>
      {children}
    </PortalShell>
  );
}
