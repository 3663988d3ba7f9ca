import type { Metadata } from 'next';
import { CenterItemsTable } from '@/components/center/items-table';
import { CenterList } from '@/components/center/list';
import { loadCenterPage } from '@/lib/center/page';
import { ITEM_HEALTH, type ItemHealth, itemsByHealth } from '@/lib/center/queries';
import { centerHref, itemRows } from '@/lib/center/view';

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
  const { user, svc, text, scope, chosen, unknown } = await loadCenterPage(searchParams);
  const asked = (text('health') ?? '')
    .split(',')
    .filter((h): h is ItemHealth => (ITEM_HEALTH as readonly string[]).includes(h));
  const value = asked.length > 0 ? asked.join(',') : '';
  const after = text('after');
  const { items, next } = await itemsByHealth(svc.pool, scope, asked.length > 0 ? asked : ITEM_HEALTH, { after });
  const base = { subscription: chosen, health: value };
  return (
    <CenterList
      title="backup center items"
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
      empty={items.length === 0 ? 'No protected items match this filter.' : undefined}
      pages={{
        label: 'Pages of items',
        first: after ? { href: centerHref('/backup-center/items', base), text: 'First items' } : undefined,
        next: next
          ? { href: centerHref('/backup-center/items', { ...base, after: next }), text: 'More items' }
          : undefined,
      }}
    >
      <CenterItemsTable label="Protected items" rows={itemRows(items)} />
    </CenterList>
  );
}
