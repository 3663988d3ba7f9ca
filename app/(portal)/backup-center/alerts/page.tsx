import type { Metadata } from 'next';
import Link from 'next/link';
import { CenterList } from '@/components/center/list';
import { TableHead } from '@/components/table-head';
import { ALERT_KINDS, type AlertKind } from '@/lib/alerts/kinds';
import { loadCenterPage } from '@/lib/center/page';
import { recentAlerts } from '@/lib/center/queries';
import { centerHref } from '@/lib/center/view';

export const metadata: Metadata = { title: 'Backup center: alerts' };

/** Alerts raised in the last 24 hours across the user's vaults: the Alerts tile's figures lead here. */
export default async function CenterAlertsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { user, svc, text, scope, chosen, unknown } = await loadCenterPage(searchParams);
  const asked = text('severity');
  const severity = asked === 'Critical' || asked === 'Warning' ? asked : undefined;
  const after = text('after');
  const { alerts, next } = await recentAlerts(svc.pool, scope, { severity, after });
  const base = { subscription: chosen, severity };
  return (
    <CenterList
      title="backup center alerts"
      action="/backup-center/alerts"
      subscriptions={user.subscriptions}
      chosen={chosen}
      unknown={unknown}
      fields={[
        {
          name: 'severity',
          label: 'Severity',
          value: severity ?? '',
          options: [
            { value: '', label: 'All' },
            { value: 'Critical', label: 'Critical' },
            { value: 'Warning', label: 'Warning' },
          ],
        },
      ]}
      empty={alerts.length === 0 ? 'No alerts were raised in the last 24 hours that match this filter.' : undefined}
      pages={{
        label: 'Pages of alerts',
        first: after ? { href: centerHref('/backup-center/alerts', base), text: 'Newest alerts' } : undefined,
        next: next
          ? { href: centerHref('/backup-center/alerts', { ...base, after: next }), text: 'Older alerts' }
          : undefined,
      }}
    >
      <table aria-label="Alerts in the last 24 hours" className="w-full text-sm">
        <TableHead columns={['VAULT', 'ALERT', 'ITEM', 'SERVER', 'SEVERITY', 'CREATED', 'STATUS']} />
        <tbody>
          {alerts.map((alert) => (
            <tr key={alert.id} className="border-b border-portal-line">
              <td className="py-2.5 pr-4">
                <Link
                  href={`/recovery-services/vaults/${alert.vaultId}/alerts?status=all`}
                  className="text-portal-blue hover:underline"
                >
                  {alert.vaultName}
                </Link>
              </td>
              <td className="py-2.5 pr-4" title={alert.detail}>
                {ALERT_KINDS[alert.kind as AlertKind]?.label ?? alert.kind}
              </td>
              <td className="py-2.5 pr-4 break-all">{alert.itemName}</td>
              <td className="py-2.5 pr-4">{alert.serverName}</td>
              <td className={`py-2.5 pr-4 ${alert.severity === 'Critical' ? 'text-portal-red' : ''}`}>
                {alert.severity}
              </td>
              <td className="py-2.5 pr-4">{alert.createdAt.toUTCString()}</td>
              <td className="py-2.5 pr-4">{alert.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </CenterList>
  );
}
