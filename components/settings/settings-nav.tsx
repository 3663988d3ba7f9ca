'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const TABS = [
  { href: '/settings/users', label: 'USERS' },
  { href: '/settings/security', label: 'SECURITY' },
  { href: '/settings/tokens', label: 'PERSONAL ACCESS TOKENS' },
] as const;

/** The tabs of SETTINGS, like a vault's: Users (people of the subscriptions), Security (two-step sign-in), tokens. */
export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings" className="border-b border-portal-line px-8">
      <ul className="flex gap-1">
        {TABS.map((tab) => {
          const active = pathname === tab.href || pathname.startsWith(`${tab.href}/`);
          return (
            <li key={tab.href}>
              <Link
                href={tab.href}
                aria-current={active ? 'page' : undefined}
                className={`block border-b-4 px-3 py-2 text-xs font-semibold tracking-wide ${
                  active ? 'border-portal-blue text-black' : 'border-transparent text-portal-muted hover:text-black'
                }`}
              >
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
