import { ALERT_STATUS_FILTERS, type AlertStatusFilter } from '@/lib/alerts/kinds';

const field = 'border border-[#8a8a8a] bg-white px-2 py-1 text-sm';

/** ALERTS' Status filter: a plain GET form, so the filter is the page's URL and works without scripts. */
export function AlertStatusForm({ action, status }: { action: string; status: AlertStatusFilter }) {
  return (
    <search aria-label="Filter alerts">
      <form method="get" action={action} className="mb-4 flex flex-wrap items-end gap-4 text-sm">
        <label className="flex flex-col gap-1">
          <span className="text-xs font-semibold tracking-wide text-portal-muted">Status</span>
          <select name="status" defaultValue={status} className={field}>
            {Object.entries(ALERT_STATUS_FILTERS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="bg-portal-blue px-4 py-1.5 text-white hover:brightness-110">
          Apply filter
        </button>
      </form>
    </search>
  );
}
