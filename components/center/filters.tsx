import { SubscriptionFilter } from '@/components/vaults/vault-list';
import type { SubscriptionAccess } from '@/lib/auth/users';
import { WINDOWS, type WindowDays } from '@/lib/center/queries';

/** The Window field of the Backup center's filter form (a GET form: the address says what is shown). */
export function CenterWindowField({ window }: { window: WindowDays }) {
  return (
    <div>
      <label htmlFor="center-window" className="mb-1 block text-xs text-portal-muted">
        Window
      </label>
      <select
        id="center-window"
        name="window"
        defaultValue={String(window)}
        className="w-32 border border-[#8a8a8a] bg-white px-2 py-1.5 text-sm"
      >
        {WINDOWS.map((days) => (
          <option key={days} value={days}>
            {days} days
          </option>
        ))}
      </select>
    </div>
  );
}

export type ListField = { name: string; label: string; value: string; options: { value: string; label: string }[] };

/** The Backup center's lists' filters: the subscription (for a user in several) and the list's own fields. */
export function CenterListFilters({
  action,
  subscriptions,
  chosen,
  unknown,
  fields,
}: {
  action: string;
  subscriptions: SubscriptionAccess[];
  chosen?: string;
  unknown: boolean;
  fields: ListField[];
}) {
  return (
    <SubscriptionFilter action={action} subscriptions={subscriptions} chosen={chosen} unknown={unknown}>
      {fields.map((field) => (
        <div key={field.name}>
          <label htmlFor={`center-${field.name}`} className="mb-1 block text-xs text-portal-muted">
            {field.label}
          </label>
          <select
            id={`center-${field.name}`}
            name={field.name}
            defaultValue={field.value}
            className="w-48 border border-[#8a8a8a] bg-white px-2 py-1.5 text-sm"
          >
            {field.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      ))}
    </SubscriptionFilter>
  );
}
