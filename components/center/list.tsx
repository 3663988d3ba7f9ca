import Link from 'next/link';
import type { ReactNode } from 'react';
import { PageTitle } from '@/components/page-title';
import type { SubscriptionAccess } from '@/lib/auth/users';
import { centerHref } from '@/lib/center/view';
import { CenterListFilters, type ListField } from './filters';

/**
 * One of the lists behind the Backup center's figures (jobs, items, alerts): its title, its filters, a way back, the
 * table (or what to say when it is empty) and the keyset pages.
 */
export function CenterList({
  title,
  action,
  subscriptions,
  chosen,
  unknown,
  fields,
  empty,
  children,
  pages,
}: {
  title: string;
  action: string;
  subscriptions: SubscriptionAccess[];
  chosen?: string;
  unknown: boolean;
  fields: ListField[];
  /** Said instead of the table when the list is empty. */
  empty?: string;
  children: ReactNode;
  pages: { label: string; first?: { href: string; text: string }; next?: { href: string; text: string } };
}) {
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <CenterListFilters
        action={action}
        subscriptions={subscriptions}
        chosen={chosen}
        unknown={unknown}
        fields={fields}
      />
      <div className="px-8 pb-10">
        <p className="mb-3 text-sm">
          <Link href={centerHref('/backup-center', { subscription: chosen })} className="text-portal-blue underline">
            Back to the Backup center
          </Link>
        </p>
        {empty ? <p className="text-sm text-portal-muted">{empty}</p> : children}
        <nav aria-label={pages.label} className="mt-4 flex gap-6 text-sm">
          {[pages.first, pages.next].map(
            (page) =>
              page && (
                <Link key={page.text} href={page.href} className="text-portal-blue underline">
                  {page.text}
                </Link>
              ),
          )}
        </nav>
      </div>
    </>
  );
}
