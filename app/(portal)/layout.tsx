import type { ReactNode } from 'react';
import { PortalShell } from '@/components/shell/portal-shell';
import { requireUser } from '@/lib/auth/guard';

// Every portal page depends on the signed-in user: never prerendered at build time.
export const dynamic = 'force-dynamic';

export default async function PortalLayout({ children }: { children: ReactNode }) {
  // The user's one query (lib/auth/users.ts loadUser) brings the vault counts too; the New dialog fetches the
  // subscriptions it offers and the vault names it checks a new name against when it opens (app/api/vault-names).
  const user = await requireUser();
  const vaultCount = user.subscriptions.reduce((n, s) => n + (s.vaultCount ?? 0), 0);
  const subscriptionLabel =
    user.subscriptions.length === 1 ? user.subscriptions[0]!.displayName : `${user.subscriptions.length} subscriptions`;
  return (
    <PortalShell email={user.email} subscriptionLabel={subscriptionLabel} vaultCount={vaultCount}>
      {children}
    </PortalShell>
  );
}
