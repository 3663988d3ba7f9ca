'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { CloudIcon } from '@/components/icons';
import { VAULT_TABS } from '@/lib/vaults/tabs';

export function VaultNav({ vaultId }: { vaultId: string }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Vault" className="border-b border-portal-line px-8">
      <ul className="flex gap-1">
        {VAULT_TABS.map((tab) => {
          const href = `/recovery-services/vaults/${vaultId}/${tab.slug}`;
          const active = pathname === href;
          return (
            <li key={tab.slug}>
              <Link
                href={href}
                aria-current={active ? 'page' : undefined}
                className={`flex items-center gap-1.5 border-b-4 px-3 py-2 text-xs font-semibold tracking-wide ${
                  active ? 'border-portal-blue text-black' : 'border-transparent text-portal-muted hover:text-black'
                }`}
              >
                {tab.slug === 'quick-start' && <CloudIcon width={16} height={16} />}
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
