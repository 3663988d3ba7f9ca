import type { Metadata } from 'next';
import Link from 'next/link';
import { CenterListFilters } from '@/components/center/filters';
import { CenterItemsTable } from '@/components/center/items-table';
import { PageTitle } from '@/components/page-title';
import { requireUser } from '@/lib/auth/guard';
import { ITEM_HEALTH, type ItemHealth, itemsByHealth } from '@/lib/center/queries';
import { centerScope } from '@/lib/center/scope';
import { centerHref, itemRows } from '@/lib/center/view';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Backup center: protected items' };

const CHOICES = [
  { value: 'Failed,Inactive', label: 'Needing attention' },
  ...ITEM_HEALTH.map((h) => ({ value: h, label: h })),
  { value: '', label: 'All' },
];

/** Protected items across the user's vaults by health: the Protected items tile's figures lead here. */
export default async function CenterItemsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [user, svc, query] = await Promise.all([requireUser(), getServices(), searchParams]);
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const { scope, chosen, unknown } = centerScope(user, text('subscription'));
  const asked = (text('health') ?? '')
    .split(',')
    .filter((h): h is ItemHealth => (ITEM_HEALTH as readonly string[]).includes(h));
  const health = asked.length > 0 ? asked : [...ITEM_HEALTH];
  const value = asked.length > 0 ? asked.join(',') : '';
  const after = text('after');
  const { items, next } = await itemsByHealth(svc.pool, scope, health, { after });
  return (
    <>
      <PageTitle>backup center items</PageTitle>
      <CenterListFilters
        action="/backup-center/items"
        subscriptions={user.subscriptions}
        chosen={chosen}
        unknown={unknown}
        fields={[
          {
            name: 'health',
            label: 'Status',
            value: CHOICES.some((c) => c.value === value) ? value : '',
            options: CHOICES,
          },
        ]}
      />
      <div className="px-8 pb-10">
        <p className="mb-3 text-sm">
          <Link href={centerHref('/backup-center', { subscription: chosen })} className="text-portal-blue underline">
            Back to the Backup center
          </Link>
        </p>
        {items.length === 0 ? (
          <p className="text-sm text-portal-muted">No protected items match this filter.</p>
        ) : (
          <CenterItemsTable label="Protected items" rows={itemRows(items)} />
        )}
        <nav aria-label="Pages of items" className="mt-4 flex gap-6 text-sm">
          {after && (
            <Link
              href={centerHref('/backup-center/items', { subscription: chosen, health: value })}
              className="text-portal-blue underline"
            >
              First items
            </Link>
          )}
          {next && (
            <Link
              href={centerHref('/backup-center/items', { subscription: chosen, health: value, after: next })}
              className="text-portal-blue underline"
            >
              More items
            </Link>
          )}
        </nav>
      </div>
    </>
  );
}
