import Link from 'next/link';
import { LOG_CATEGORIES, LOG_STATUSES, type LogFilters, logsHref } from '@/lib/audit/filters';

const field = 'border border-[#8a8a8a] bg-white px-2 py-1 text-sm';
const caption = 'text-xs font-semibold tracking-wide text-portal-muted';

/**
 * OPERATION LOGS' filters: a plain GET form, so the filters are the page's URL (a copied link shows the same list) and
 * work without scripts. Applying filters starts again at the newest entries.
 */
export function LogFiltersForm({
  filters,
  subscriptions,
}: {
  filters: LogFilters;
  subscriptions: { id: string; displayName: string }[];
}) {
  const filtered = Boolean(filters.subscription || filters.category || filters.status || filters.q);
  return (
    <search aria-label="Filter operation logs">
      {/* Keyed by the filters: a client-side navigation (Clear filters, a page link) shows their values, not the last typed. */}
      <form
        key={logsHref(filters)}
        method="get"
        action={logsHref({})}
        className="mb-4 flex flex-wrap items-end gap-4 text-sm"
      >
        <label className="flex flex-col gap-1">
          <span className={caption}>Subscription</span>
          <select name="subscription" defaultValue={filters.subscription ?? ''} className={field}>
            <option value="">All</option>
            {subscriptions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.displayName}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className={caption}>Category</span>
          <select name="category" defaultValue={filters.category ?? ''} className={field}>
            <option value="">All</option>
            {LOG_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className={caption}>Status</span>
          <select name="status" defaultValue={filters.status ?? ''} className={field}>
            <option value="">All</option>
            {LOG_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className={caption}>Search</span>
          <input
            type="search"
            name="q"
            defaultValue={filters.q ?? ''}
            maxLength={200}
            placeholder="Vault, user, operation or detail"
            className={`${field} w-64`}
          />
        </label>
        <button type="submit" className="bg-portal-blue px-4 py-1.5 text-white hover:brightness-110">
          Apply filters
        </button>
        {filtered && (
          <Link href={logsHref({})} className="py-1.5 text-portal-blue underline">
            Clear filters
          </Link>
        )}
      </form>
    </search>
  );
}
