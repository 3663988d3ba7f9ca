'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { CheckIcon } from '@/components/icons';
import { ActionFeedback, SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { TableHead } from '@/components/table-head';
import { resolveAlertsAction } from '@/lib/alerts/actions';

export type AlertView = {
  id: string;
  alert: string;
  detail: string;
  item: string;
  server: string;
  severity: 'Critical' | 'Warning';
  duration: string;
  created: string;
  status: 'Active' | 'Resolved';
  latest: string;
  count: number;
};

const SEVERITY_STYLE = {
  Critical: 'bg-portal-red text-white',
  Warning: 'bg-[#c19c00] text-white',
} as const;

/** The vault's ALERTS: the classic table, and RESOLVE for the selected Active alert (Contributor or Owner). */
export function AlertsTable({
  vaultId,
  alerts,
  canChange,
}: {
  vaultId: string;
  alerts: AlertView[];
  canChange: boolean;
}) {
  const router = useRouter();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const selected = alerts.find((a) => a.id === selectedId);

  function resolve(alert: AlertView) {
    startTransition(async () => {
      const result = await resolveAlertsAction(vaultId, [alert.id]);
      setFeedback(
        result.ok
          ? { ok: true, text: `The alert '${alert.alert}' of ${alert.item} is resolved.` }
          : { ok: false, text: result.message ?? '' },
      );
      setSelectedId(null);
      router.refresh();
    });
  }

  return (
    <>
      <table className="w-full border-collapse text-sm">
        <TableHead
          columns={[
            null,
            'ALERT',
            'BACKUP ITEM',
            'PROTECTED SERVER',
            'SEVERITY',
            'DURATION',
            'CREATION TIME',
            'STATUS',
            'LATEST OCCURRENCE TIME',
          ]}
        />
        <tbody>
          {alerts.map((alert) => (
            <SelectableRow
              key={alert.id}
              group="alert"
              label={`Select ${alert.alert} of ${alert.item} on ${alert.server}`}
              selected={alert.id === selectedId}
              onSelect={() => setSelectedId(alert.id)}
              top
            >
              <td className="py-2 pr-4">
                <span className="block">{alert.alert}</span>
                {alert.detail && <span className="block text-xs text-portal-muted">{alert.detail}</span>}
              </td>
              <td className="py-2 pr-4 font-mono text-[13px]">{alert.item}</td>
              <td className="py-2 pr-4">{alert.server}</td>
              <td className="py-2 pr-4">
                <span className={`px-1.5 py-0.5 text-xs font-semibold ${SEVERITY_STYLE[alert.severity]}`}>
                  {alert.severity}
                </span>
              </td>
              <td className="py-2 pr-4">{alert.duration}</td>
              <td className="py-2 pr-4">{alert.created}</td>
              <td className="py-2 pr-4">{alert.status}</td>
              <td className="py-2 pr-4">
                {alert.latest}
                {alert.count > 1 && <span className="block text-xs text-portal-muted">{alert.count} occurrences</span>}
              </td>
            </SelectableRow>
          ))}
        </tbody>
      </table>
      <ActionFeedback feedback={feedback} />
      <CommandBarActions>
        <CommandButton
          label="RESOLVE"
          icon={CheckIcon}
          disabled={!canChange || !selected || selected.status !== 'Active' || pending}
          onClick={() => selected && resolve(selected)}
        />
      </CommandBarActions>
    </>
  );
}
