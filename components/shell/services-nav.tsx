'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { type ComponentType, type SVGProps, useId } from 'react';
import { AllItemsIcon, BackupCenterIcon, LogIcon, RecoveryServicesIcon, SettingsIcon } from '@/components/icons';

type Service = { href: string; label: string; icon: ComponentType<SVGProps<SVGSVGElement>>; count?: number };

export function ServicesNav({ counts }: { counts: { all: number; recoveryServices: number } }) {
  const pathname = usePathname();
  const navId = useId();
  const services: Service[] = [
    { href: '/all-items', label: 'ALL ITEMS', icon: AllItemsIcon, count: counts.all },
    {
      href: '/recovery-services',
      label: 'RECOVERY SERVICES',
      icon: RecoveryServicesIcon,
      count: counts.recoveryServices,
    },
    { href: '/backup-center', label: 'BACKUP CENTER', icon: BackupCenterIcon },
    { href: '/operation-logs', label: 'OPERATION LOGS', icon: LogIcon },
    { href: '/settings', label: 'SETTINGS', icon: SettingsIcon },
  ];
  return (
    <nav aria-label="Services" className="w-56 shrink-0 overflow-y-auto bg-portal-nav text-white">
      <ul className="py-2">
        {services.map(({ href, label, icon: ServiceIcon, count }) => {
          const active = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <li key={href}>
              <Link
                href={href}
                aria-current={active ? 'page' : undefined}
                aria-describedby={count === undefined ? undefined : `${navId}-${href.slice(1)}-count`}
                className={`flex items-center gap-3 border-l-4 px-4 py-3 text-xs font-semibold tracking-wide ${
                  active
                    ? 'border-portal-nav-active bg-portal-nav-hover'
                    : 'border-transparent hover:bg-portal-nav-hover'
                }`}
              >
                <ServiceIcon className="shrink-0" />
                <span className="flex-1">{label}</span>
                {/* Not part of the link's name (that is the service's name alone): its description. */}
                {count !== undefined && (
                  <span
                    id={`${navId}-${href.slice(1)}-count`}
                    aria-hidden="true"
                    className="text-[11px] font-normal text-[#c8c8c8]"
                  >
                    {count}
                    <span className="sr-only"> {count === 1 ? 'item' : 'items'}</span>
                  </span>
                )}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
