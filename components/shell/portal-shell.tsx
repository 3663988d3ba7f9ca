import Link from 'next/link';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers';
import { CommandBar, CommandBarProvider } from './command-bar';
import { NewButton } from './new-dialog';
import { Notifications } from './notifications';
import { ServicesNav } from './services-nav';
import { UserMenu } from './user-menu';

export function PortalShell({
  email,
  subscriptionLabel,
  vaultCount,
  children,
}: {
  email: string;
  subscriptionLabel: string;
  vaultCount: number;
  children: ReactNode;
}) {
  return (
    <Providers>
      <CommandBarProvider>
        <div className="flex h-dvh flex-col">
          <header className="flex h-12 shrink-0 items-center justify-between bg-portal-black text-white">
            <Link href="/" className="px-5 text-lg font-light tracking-wide">
              Backup vault portal
            </Link>
            <UserMenu email={email} subscriptionLabel={subscriptionLabel} />
          </header>
          <div className="flex min-h-0 flex-1">
            <ServicesNav counts={{ all: vaultCount, recoveryServices: vaultCount }} />
            <main className="min-w-0 flex-1 overflow-y-auto bg-white">{children}</main>
          </div>
          <div className="shrink-0">
            <Notifications />
            <CommandBar start={<NewButton />} />
          </div>
        </div>
      </CommandBarProvider>
    </Providers>
  );
}
