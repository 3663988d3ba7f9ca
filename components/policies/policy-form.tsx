'use client';

import { useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState, useTransition } from 'react';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { TableHead } from '@/components/table-head';
import { createPolicyAction, previewPolicyAction, updatePolicyAction } from '@/lib/policies/actions';
import type { PreviewRow } from '@/lib/policies/preview';
import { fieldErrorsOf, policyNameSchema, policySettingsSchema } from '@/lib/policies/validation';
import type { PolicyFormValues } from '@/lib/policies/view';
import { RETENTION_RANGES, type RetentionRule } from '@/lib/retention/rules';
import { formatTime, HALF_HOURS, MAX_TIMES_PER_DAY, WEEKDAYS } from '@/lib/schedule';

const RULES = Object.keys(RETENTION_RANGES) as RetentionRule[];
const TIME_FIELDS = Array.from({ length: MAX_TIMES_PER_DAY }, (_, i) => `Time ${i + 1}`);
const field = 'border border-[#8a8a8a] bg-white px-2 py-1 text-sm disabled:bg-[#f3f3f3] disabled:text-portal-muted';

function settingsOf(values: PolicyFormValues) {
  const count = (rule: RetentionRule) => {
    const { on, count } = values.retention[rule];
    return on ? (count.trim() === '' ? Number.NaN : Number(count)) : null;
  };
  return {
    frequency: values.frequency,
    days: values.frequency === 'Weekly' ? values.days : [],
    times: values.times.filter((t): t is number => t !== null),
    dailyDays: count('dailyDays'),
    weeklyWeeks: count('weeklyWeeks'),
    monthlyMonths: count('monthlyMonths'),
    yearlyYears: count('yearlyYears'),
  };
}

/**
 * ADD and EDIT of a policy: name (fixed once made), schedule, retention, each checked as you type with the
 * server's own rules and messages, and a preview of what the retention keeps and deletes, item by item, before SAVE.
 */
export function PolicyForm({
  vaultId,
  policyId,
  initial,
  canChange,
}: {
  vaultId: string;
  /** Set when editing an existing policy. */
  policyId?: string;
  initial: PolicyFormValues;
  canChange: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [values, setValues] = useState(initial);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [preview, setPreview] = useState<PreviewRow[] | null>(null);
  const [pending, startTransition] = useTransition();
  const editing = policyId !== undefined;

  const settings = useMemo(() => settingsOf(values), [values]);
  const errors = useMemo(() => {
    const found: Record<string, string> = {};
    if (!editing) {
      const name = policyNameSchema.safeParse(values.name);
      if (!name.success) found.name = name.error.issues[0]!.message;
    }
    const checked = policySettingsSchema.safeParse(settings);
    if (!checked.success) Object.assign(found, fieldErrorsOf(checked.error));
    return found;
  }, [values.name, settings, editing]);
  const shown = (name: string) => serverErrors[name] ?? (submitted || touched.has(name) ? errors[name] : undefined);
  const settingsKey = JSON.stringify(settings);
  const settingsValid = !RULES.some((r) => errors[r]) && !errors.times && !errors.days && !errors.frequency;

  useEffect(() => {
    if (!settingsValid) return;
    const timer = setTimeout(async () => {
      const result = await previewPolicyAction({ vaultId, policyId, ...JSON.parse(settingsKey) });
      setPreview(result.ok ? result.data.rows : null);
    }, 250);
    return () => clearTimeout(timer);
  }, [settingsKey, settingsValid, vaultId, policyId]);

  function change(next: Partial<PolicyFormValues>, fieldName: string) {
    setValues((v) => ({ ...v, ...next }));
    setTouched((t) => new Set(t).add(fieldName));
    setServerErrors((e) => {
      const { [fieldName]: _, ...rest } = e;
      return rest;
    });
  }

  function save(event: React.FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return;
    startTransition(async () => {
      const result = editing
        ? await updatePolicyAction({ vaultId, policyId, ...settings })
        : await createPolicyAction({ vaultId, name: values.name, ...settings });
      if (!result.ok) {
        setServerErrors(result.fieldErrors ?? {});
        setMessage(result.message ?? null);
        return;
      }
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.push(`/recovery-services/vaults/${vaultId}/policies`);
      router.refresh();
    });
  }

  const error = (name: string) => {
    const text = shown(name);
    return text ? (
      <p id={`${name}-error`} className="mt-1 text-sm text-portal-red">
        {text}
      </p>
    ) : null;
  };
  const described = (name: string) => (shown(name) ? `${name}-error` : undefined);
  const deleted = preview?.reduce((sum, row) => sum + row.deleted, 0) ?? 0;

  return (
    <form onSubmit={save} noValidate aria-label={editing ? 'Edit policy' : 'Add a policy'} className="max-w-4xl">
      <div className="mb-6">
        <label htmlFor="policy-name" className="mb-1 block text-xs font-semibold tracking-wide text-portal-muted">
          Name
        </label>
        <input
          id="policy-name"
          name="name"
          value={values.name}
          readOnly={editing}
          aria-invalid={shown('name') ? true : undefined}
          aria-describedby={described('name')}
          onChange={(e) => change({ name: e.target.value }, 'name')}
          className={`${field} w-96`}
        />
        {error('name')}
      </div>

      <fieldset className="mb-6">
        <legend className="mb-2 text-lg font-light">Schedule</legend>
        <div role="radiogroup" aria-label="Backup frequency" className="mb-3 flex gap-6 text-sm">
          {(['Daily', 'Weekly'] as const).map((frequency) => (
            <label key={frequency} className="flex items-center gap-2">
              <input
                type="radio"
                name="frequency"
                checked={values.frequency === frequency}
                onChange={() =>
                  change(
                    {
                      frequency,
                      retention: {
                        ...values.retention,
                        dailyDays: { ...values.retention.dailyDays, on: frequency === 'Daily' },
                        weeklyWeeks: {
                          ...values.retention.weeklyWeeks,
                          on: frequency === 'Weekly' || values.retention.weeklyWeeks.on,
                        },
                      },
                    },
                    'frequency',
                  )
                }
                className="accent-portal-blue"
              />
              {frequency}
            </label>
          ))}
        </div>
        <fieldset disabled={values.frequency !== 'Weekly'} className="mb-3" aria-describedby={described('days')}>
          <legend className="mb-1 text-xs font-semibold tracking-wide text-portal-muted">Days</legend>
          <div className="flex flex-wrap gap-4 text-sm">
            {WEEKDAYS.map((day, index) => (
              <label key={day} className="flex items-center gap-1.5">
                <input
                  type="checkbox"
                  checked={values.frequency === 'Weekly' && values.days.includes(index)}
                  onChange={(e) =>
                    change(
                      {
                        days: e.target.checked ? [...values.days, index] : values.days.filter((d) => d !== index),
                      },
                      'days',
                    )
                  }
                  className="accent-portal-blue"
                />
                {day}
              </label>
            ))}
          </div>
          {error('days')}
        </fieldset>
        <fieldset aria-describedby={described('times')}>
          <legend className="mb-1 text-xs font-semibold tracking-wide text-portal-muted">
            Backup times (UTC, up to {MAX_TIMES_PER_DAY} a day)
          </legend>
          <div className="flex gap-4 text-sm">
            {TIME_FIELDS.map((label, i) => (
              <label key={label} className="flex items-center gap-2">
                {label}
                <select
                  value={values.times[i] ?? ''}
                  onChange={(e) => {
                    const times = [...values.times];
                    times[i] = e.target.value === '' ? null : Number(e.target.value);
                    change({ times }, 'times');
                  }}
                  className={field}
                >
                  <option value="">None</option>
                  {HALF_HOURS.map((minutes) => (
                    <option key={minutes} value={minutes}>
                      {formatTime(minutes)}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          {error('times')}
        </fieldset>
      </fieldset>

      <fieldset className="mb-6">
        <legend className="mb-2 text-lg font-light">Retention</legend>
        <div className="space-y-3 text-sm">
          {RULES.map((rule) => {
            const { min, max, unit, kind } = RETENTION_RANGES[rule];
            const state = values.retention[rule];
            const unavailable = rule === 'dailyDays' && values.frequency === 'Weekly';
            return (
              <div key={rule}>
                <div className="flex items-center gap-4">
                  <label className="flex w-64 items-center gap-2">
                    <input
                      type="checkbox"
                      checked={state.on && !unavailable}
                      disabled={unavailable}
                      onChange={(e) =>
                        change({ retention: { ...values.retention, [rule]: { ...state, on: e.target.checked } } }, rule)
                      }
                      className="accent-portal-blue"
                    />
                    Keep {kind} backup points
                  </label>
                  <label className="flex items-center gap-2">
                    {`${kind.charAt(0).toUpperCase()}${kind.slice(1)} retention in ${unit}`}
                    <input
                      type="number"
                      inputMode="numeric"
                      min={min}
                      max={max}
                      value={state.count}
                      disabled={!state.on || unavailable}
                      aria-invalid={shown(rule) ? true : undefined}
                      aria-describedby={described(rule)}
                      onChange={(e) =>
                        change(
                          { retention: { ...values.retention, [rule]: { ...state, count: e.target.value } } },
                          rule,
                        )
                      }
                      className={`${field} w-24`}
                    />
                  </label>
                  <span className="text-xs text-portal-muted">
                    {min}–{max} {unit}
                  </span>
                </div>
                {error(rule)}
              </div>
            );
          })}
        </div>
      </fieldset>

      <section aria-labelledby="policy-preview" className="mb-6">
        <h2 id="policy-preview" className="mb-1 text-lg font-light">
          Preview
        </h2>
        <p className="mb-2 text-sm text-portal-muted">
          {editing
            ? 'What saving does to the recovery points of the items that follow this policy, now.'
            : 'What this retention would do to each item’s recovery points if it followed this policy.'}
        </p>
        {!settingsValid ? (
          <p className="text-sm text-portal-muted">Correct the schedule and retention to see the preview.</p>
        ) : preview === null ? (
          <p className="text-sm text-portal-muted">Working out the preview…</p>
        ) : preview.length === 0 ? (
          <p className="text-sm">No item {editing ? 'follows this policy' : 'is protected in this vault'} yet.</p>
        ) : (
          <>
            <table className="w-full border-collapse text-sm">
              <TableHead columns={['ITEM', 'SERVER', 'RECOVERY POINTS', 'KEPT', 'DELETED']} />
              <tbody>
                {preview.map((row) => (
                  <tr key={row.itemId} className="border-b border-portal-line">
                    <td className="py-2 pr-4 font-mono text-[13px]">{row.name}</td>
                    <td className="py-2 pr-4">{row.server}</td>
                    <td className="py-2 pr-4">{row.points}</td>
                    <td className="py-2 pr-4">{row.kept}</td>
                    <td className={`py-2 pr-4 ${row.deleted > 0 ? 'font-semibold text-portal-red' : ''}`}>
                      {row.stopped ? '0 (protection stopped)' : row.deleted}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p role="status" className="mt-2 text-sm">
              {deleted > 0
                ? `${editing ? 'Saving deletes' : 'Following this policy would delete'} ${deleted} recovery point${deleted === 1 ? '' : 's'}.`
                : `${editing ? 'Saving deletes' : 'Following this policy would delete'} no recovery point.`}
            </p>
          </>
        )}
      </section>

      {message && (
        <p role="alert" className="mb-3 text-sm text-portal-red">
          {message}
        </p>
      )}
      <div className="flex gap-3">
        <button
          type="submit"
          disabled={!canChange || pending}
          className="bg-portal-blue px-5 py-1.5 text-sm text-white hover:brightness-110 disabled:opacity-50"
        >
          Save
        </button>
        <Link
          href={`/recovery-services/vaults/${vaultId}/policies`}
          className="border border-[#8a8a8a] px-5 py-1.5 text-sm hover:bg-[#f3f3f3]"
        >
          Cancel
        </Link>
      </div>
    </form>
  );
}
