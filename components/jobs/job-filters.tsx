import Link from 'next/link';
import { JOB_OPERATIONS, JOB_STATUS_FILTERS, type JobFilters, jobsHref } from '@/lib/jobs/filters';

const field = 'border border-[#8a8a8a] bg-white px-2 py-1 text-sm';

/**
 * JOBS' filters: a plain GET form, so the filters are the page's URL (a copied link shows the same list) and work
 * without scripts. Applying filters starts again at the newest page.
 */
export function JobFiltersForm({ vaultId, filters }: { vaultId: string; filters: JobFilters }) {
  const filtered = Boolean(filters.status || filters.operation || filters.from || filters.to);
  return (
    <search aria-label="Filter jobs">
      <form method="get" action={jobsHref(vaultId, {})} className="mb-4 flex flex-wrap items-end gap-4 text-sm">
        <label className="flex flex-col gap-1">
          <span className="text-xs font-semibold tracking-wide text-portal-muted">Status</span>
          <select name="status" defaultValue={filters.status ?? ''} className={field}>
            <option value="">All</option>
            {Object.entries(JOB_STATUS_FILTERS).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs font-semibold tracking-wide text-portal-muted">Operation</span>
          <select name="operation" defaultValue={filters.operation ?? ''} className={field}>
            <option value="">All</option>
            {Object.entries(JOB_OPERATIONS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs font-semibold tracking-wide text-portal-muted">From</span>
          <input type="date" name="from" defaultValue={filters.from ?? ''} className={field} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs font-semibold tracking-wide text-portal-muted">To</span>
          <input type="date" name="to" defaultValue={filters.to ?? ''} className={field} />
        </label>
        <button type="submit" className="bg-portal-blue px-4 py-1.5 text-white hover:brightness-110">
          Apply filters
        </button>
        {filtered && (
          <Link href={jobsHref(vaultId, {})} className="py-1.5 text-portal-blue underline">
            Clear filters
          </Link>
        )}
        <span className="py-1.5 text-xs text-portal-muted">Dates are UTC.</span>
      </form>
    </search>
  );
}
