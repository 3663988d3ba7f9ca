'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';
import { SaveIcon, UndoIcon } from '@/components/icons';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { saveAlertSettingsAction } from '@/lib/alerts/actions';
import { ALERT_NOTIFY, ALERT_SEVERITIES, type AlertNotify, type AlertSeverity, STALE_HOURS } from '@/lib/alerts/kinds';
import { saveStorageReplicationAction } from '@/lib/vaults/actions';
import { REPLICATION, replicationMessages, type StorageReplication } from '@/lib/vaults/replication';

export type AlertSettingsView = {
  emailRecipients: string;
  notify: AlertNotify;
  severities: AlertSeverity[];
  webhookUrl: string;
  staleHours: string;
};

const field = 'w-full max-w-xl border border-[#8a8a8a] bg-white px-2 py-1 text-sm disabled:bg-[#f3f3f3]';

function sameAlerts(a: AlertSettingsView, b: AlertSettingsView): boolean {
  return (
    a.emailRecipients === b.emailRecipients &&
    a.notify === b.notify &&
    a.severities.join() === b.severities.join() &&
    a.webhookUrl === b.webhookUrl &&
    a.staleHours === b.staleHours
  );
}

/**
 * CONFIGURE: storage replication (until the first registration locks it) and the alert notifications, saved together
 * by the command bar's SAVE (each part only when it changed) and put back by DISCARD. The form is not remounted when a
 * save refreshes the page, so the webhook's secret (answered by that save only) stays on screen until the user leaves.
 */
export function ConfigureForm({
  vaultId,
  saved,
  locked,
  canChange,
  alerts,
  emailReady,
}: {
  vaultId: string;
  saved: StorageReplication;
  locked: boolean;
  /** The user's role may change the vault (a Reader's form is read-only). */
  canChange: boolean;
  alerts: AlertSettingsView;
  /** The portal can send email (SMTP_URL is set). */
  emailReady: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const headingId = useId();
  const alertsId = useId();
  const [choice, setChoice] = useState<StorageReplication>(saved);
  const [form, setForm] = useState<AlertSettingsView>(alerts);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const fixed = locked || !canChange;
  const replicationDirty = choice !== saved && !fixed;
  const alertsDirty = canChange && !sameAlerts(form, alerts);
  const dirty = replicationDirty || alertsDirty;

  function save() {
    startTransition(async () => {
      setError(null);
      setFieldErrors({});
      if (replicationDirty) {
        const result = await saveStorageReplicationAction(vaultId, choice);
        if (!result.ok) setError(result.message ?? null);
      }
      if (alertsDirty) {
        const result = await saveAlertSettingsAction({ vaultId, ...form });
        if (result.ok) setSecret(result.data.webhookSecret ?? null);
        else {
          setFieldErrors(result.fieldErrors ?? {});
          setError(result.message ?? null);
        }
      }
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.refresh();
    });
  }

  function discard() {
    setChoice(saved);
    setForm(alerts);
    setFieldErrors({});
    setError(null);
  }

  const set = <K extends keyof AlertSettingsView>(key: K, value: AlertSettingsView[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const fieldError = (name: string) =>
    fieldErrors[name] ? (
      <span id={`${alertsId}-${name}-error`} className="mt-1 block text-sm text-portal-red">
        {fieldErrors[name]}
      </span>
    ) : null;
  const described = (name: string) => (fieldErrors[name] ? `${alertsId}-${name}-error` : undefined);

  return (
    <div className="max-w-3xl space-y-10">
      <section>
        <h2 id={headingId} className="mb-2 text-xl font-light">
          Storage replication
        </h2>
        {locked ? (
          <p className="mb-4 border-l-4 border-portal-muted bg-[#f3f3f3] px-4 py-2 text-sm">
            {replicationMessages.locked}
          </p>
        ) : (
          <p className="mb-4 border-l-4 border-[#c19c00] bg-[#fff8e1] px-4 py-2 text-sm">
            {replicationMessages.warning}
          </p>
        )}
        <div role="radiogroup" aria-labelledby={headingId} aria-disabled={fixed || undefined} className="space-y-4">
          {(Object.keys(REPLICATION) as StorageReplication[]).map((value) => (
            <label key={value} className={`flex gap-3 ${fixed ? 'opacity-60' : 'cursor-pointer'}`}>
              <input
                type="radio"
                name="storageReplication"
                value={value}
                checked={choice === value}
                disabled={fixed || pending}
                onChange={() => setChoice(value)}
                className="mt-1 h-4 w-4 accent-portal-blue"
              />
              <span>
                <span className="block font-semibold">{REPLICATION[value].label}</span>
                <span className="block text-sm text-portal-muted">{REPLICATION[value].text}</span>
              </span>
            </label>
          ))}
        </div>
      </section>

      <section aria-labelledby={`${alertsId}-heading`}>
        <h2 id={`${alertsId}-heading`} className="mb-2 text-xl font-light">
          Alert notifications
        </h2>
        <p className="mb-4 text-sm text-portal-muted">
          The portal raises alerts when a backup or a restore fails, backup data is deleted, an item has no recent
          backup, or a backup skips files it could not read. Tell someone by email or webhook.
        </p>
        {!emailReady && (
          <p className="mb-4 border-l-4 border-portal-muted bg-[#f3f3f3] px-4 py-2 text-sm">
            Email is not set up on this portal: its administrator sets SMTP_URL. Webhooks work without it.
          </p>
        )}
        <fieldset disabled={!canChange || pending} className="space-y-5 text-sm">
          <label className="block">
            <span className="mb-1 block font-semibold">Email recipients</span>
            <input
              type="text"
              value={form.emailRecipients}
              onChange={(e) => set('emailRecipients', e.target.value)}
              placeholder="ops@example.com, oncall@example.com"
              aria-invalid={Boolean(fieldErrors.emailRecipients) || undefined}
              aria-describedby={described('emailRecipients')}
              className={field}
            />
            {fieldError('emailRecipients')}
          </label>
          <div role="radiogroup" aria-labelledby={`${alertsId}-notify`}>
            <span id={`${alertsId}-notify`} className="mb-1 block font-semibold">
              Notify
            </span>
            <div className="flex gap-6">
              {(Object.keys(ALERT_NOTIFY) as AlertNotify[]).map((value) => (
                <label key={value} className="flex items-center gap-2">
                  <input
                    type="radio"
                    name="alertNotify"
                    checked={form.notify === value}
                    onChange={() => set('notify', value)}
                    className="accent-portal-blue"
                  />
                  {ALERT_NOTIFY[value]}
                </label>
              ))}
            </div>
          </div>
          <fieldset>
            <legend className="mb-1 font-semibold">Severity</legend>
            <div className="flex gap-6">
              {ALERT_SEVERITIES.map((severity) => (
                <label key={severity} className="flex items-center gap-2">
                  <input
                    type="checkbox"
                    checked={form.severities.includes(severity)}
                    onChange={(e) =>
                      set(
                        'severities',
                        ALERT_SEVERITIES.filter((s) =>
                          s === severity ? e.target.checked : form.severities.includes(s),
                        ),
                      )
                    }
                    className="accent-portal-blue"
                  />
                  {severity}
                </label>
              ))}
            </div>
          </fieldset>
          <label className="block">
            <span className="mb-1 block font-semibold">Webhook URL</span>
            <input
              type="url"
              value={form.webhookUrl}
              onChange={(e) => set('webhookUrl', e.target.value)}
              placeholder="https://hooks.example.com/backup-alerts"
              aria-invalid={Boolean(fieldErrors.webhookUrl) || undefined}
              aria-describedby={described('webhookUrl')}
              className={field}
            />
            <span className="mt-1 block text-xs text-portal-muted">
              Each alert is POSTed as JSON, signed in X-Portal-Signature (HMAC-SHA-256 with the webhook's secret).
            </span>
            {fieldError('webhookUrl')}
          </label>
          <label className="block">
            <span className="mb-1 block font-semibold">Alert when no backup for</span>
            <span className="flex items-center gap-2">
              <input
                type="number"
                min={STALE_HOURS.min}
                max={STALE_HOURS.max}
                step={1}
                value={form.staleHours}
                onChange={(e) => set('staleHours', e.target.value)}
                aria-invalid={Boolean(fieldErrors.staleHours) || undefined}
                aria-describedby={described('staleHours')}
                className="w-24 border border-[#8a8a8a] bg-white px-2 py-1 text-sm"
              />
              hours
            </span>
            {fieldError('staleHours')}
          </label>
        </fieldset>
        {secret && (
          <div role="status" className="mt-5 border-l-4 border-portal-green bg-[#eef7ee] px-4 py-3 text-sm">
            <label className="block">
              <span className="mb-1 block font-semibold">Webhook secret</span>
              <span className="mb-1 block">
                Copy it now: it is shown only once. Check each call's X-Portal-Signature with it.
              </span>
              <input
                readOnly
                value={secret}
                onFocus={(e) => e.target.select()}
                className="w-full max-w-xl border border-[#8a8a8a] bg-white px-2 py-1 font-mono text-[13px]"
              />
            </label>
          </div>
        )}
      </section>

      <p role="alert" className="min-h-5 text-sm text-portal-red">
        {error}
      </p>
      <CommandBarActions>
        <CommandButton label="SAVE" icon={SaveIcon} disabled={!dirty || pending} onClick={save} />
        <CommandButton label="DISCARD" icon={UndoIcon} disabled={!dirty || pending} onClick={discard} />
      </CommandBarActions>
    </div>
  );
}
