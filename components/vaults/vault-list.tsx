import Link from 'next/link';
import type { ReactNode } from 'react';
import { EmptyState, PageTitle } from '@/components/page-title';
import { requireUser } from '@/lib/auth/guard';
import type { SubscriptionAccess } from '@/lib/auth/users';
import { optionsHtml } from '@/lib/html/markup';
import { getServices } from '@/lib/services';
import { listVaults } from '@/lib/vaults/queries';
import { VaultTable } from './vault-table';

/**
 * A titled, keyset-paginated list of the user's vaults (RECOVERY SERVICES and ALL ITEMS). A user in several
 * subscriptions can narrow it to one with the Subscription filter (the GET parameter `subscription`).
 */
export async function VaultList({
  title,
  basePath,
  after,
  subscription,
  empty,
}: {
  title: string;
  basePath: string;
  after?: string;
  /** A subscription id from the address; one the user is not in is reported and ignored. */
  subscription?: string;
  empty: { title: string; text: string };
}) {
  const [user, { db }] = await Promise.all([requireUser(), getServices()]);
  const filtering = user.subscriptions.length > 1;
  const chosen = filtering ? user.subscriptions.find((s) => s.id === subscription) : undefined;
  const unknown = filtering && subscription !== undefined && subscription !== '' && !chosen;
  const { rows, next } = await listVaults(db, user, { after, subscriptionId: chosen?.id });
  const href = (params: Record<string, string | undefined>) => {
    const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]));
    return query.size ? `${basePath}?${query}` : basePath;
  };
  return (
    <>
      <PageTitle>{title}</PageTitle>
      {filtering && (
        <SubscriptionFilter
          action={basePath}
          subscriptions={user.subscriptions}
          chosen={chosen?.id}
          unknown={unknown}
        />
      )}
      {rows.length === 0 && !after ? (
        chosen ? (
          <EmptyState title={`There are no backup vaults in ${chosen.displayName}.`}>
            Choose another subscription, or select NEW to create a backup vault in this one.
          </EmptyState>
        ) : (
          <EmptyState title={empty.title}>{empty.text}</EmptyState>
        )
      ) : (
        <>
          {after && (
            <p className="px-8 pb-2 text-sm">
              <Link href={href({ subscription: chosen?.id })} className="text-portal-blue hover:underline">
                First page
              </Link>
            </p>
          )}
          <VaultTable rows={rows} nextHref={next ? href({ subscription: chosen?.id, after: next }) : undefined} />
        </>
      )}
    </>
  );
}

/**
 * A plain GET form: works without JavaScript, and the address says what is shown. The Subscription field appears
 * for a user in several subscriptions; `children` are further fields (the Backup center's Window).
 */
export function SubscriptionFilter({
  action,
  subscriptions,
  chosen,
  unknown,
  children,
}: {
  action: string;
  subscriptions: SubscriptionAccess[];
  chosen?: string;
  unknown: boolean;
  children?: ReactNode;
}) {
  const id = 'vault-list-subscription';
  return (
    <search aria-label="Filter" className="px-8 pb-4">
      <form method="get" action={action} className="flex items-end gap-2">
        {subscriptions.length > 1 && (
          <div>
            <label htmlFor={id} className="mb-1 block text-xs text-portal-muted">
              Subscription
            </label>
            {/* One HTML string rather than an element per subscription (lib/html/markup.ts): see VaultTable. */}
            <select
              id={id}
              name="subscription"
              className="w-64 border border-[#8a8a8a] bg-white px-2 py-1.5 text-sm"
              // biome-ignore lint/security/noDangerouslySetInnerHtml: built by optionsHtml, every value escaped
              dangerouslySetInnerHTML={{
                __html: optionsHtml(
                  [
                    { value: '', label: 'All subscriptions' },
                    ...subscriptions.map((s) => ({ value: s.id, label: s.displayName })),
                  ],
                  chosen ?? '',
                ),
              }}
            />
          </div>
        )}
        {children}
        <button type="submit" className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]">
          Filter
        </button>
        {unknown && (
          <p role="alert" className="pb-1.5 text-sm text-portal-red">
            That subscription is not one of yours: showing all subscriptions.
          </p>
        )}
      </form>
    </search>
  );
}
