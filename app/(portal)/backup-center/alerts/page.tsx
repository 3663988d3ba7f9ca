import type { Metadata } from 'next';
import Link from 'next/link';
import { CenterListFilters } from '@/components/center/filters';
import { PageTitle } from '@/components/page-title';
import { TableHead } from '@/components/table-head';
import { ALERT_KINDS, type AlertKind } from '@/lib/alerts/kinds';
import { requireUser } from '@/lib/auth/guard';
import { recentAlerts } from '@/lib/center/queries';
import { centerScope } from '@/lib/center/scope';
import { centerHref } from '@/lib/center/view';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Backup center: alerts' };

/** Alerts raised in the last 24 hours across the user's vaults: the Alerts tile's figures lead here. */
export default async function CenterAlertsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [user, svc, query] = await Promise.all([requireUser(), getServices(), searchParams]);
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const { scope, chosen, unknown } = centerScope(user, text('subscription'));
  const asked = text('severity');
  const severity = asked === 'Critical' || asked === 'Warning' ? asked : undefined;
  const after = text('after');
  const { alerts, next } = await recentAlerts(svc.pool, scope, { severity, after });
  return (
    <>
      <PageTitle>backup center alerts</PageTitle>
      <CenterListFilters
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
      />
      <div className="px-8 pb-10">
        <p className="mb-3 text-sm">
          <Link href={centerHref('/backup-center', { subscription: chosen })} className="text-portal-blue underline">
            Back to the Backup center
          </Link>
        </p>
        {alerts.length === 0 ? (
          <p className="text-sm text-portal-muted">
            No alerts were raised in the last 24 hours that match this filter.
          </p>
        ) : (
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
        )}
        <nav aria-label="Pages of alerts" className="mt-4 flex gap-6 text-sm">
          {after && (
            <Link
              href={centerHref('/backup-center/alerts', { subscription: chosen, severity })}
              className="text-portal-blue underline"
            >
              Newest alerts
            </Link>
          )}
          {next && (
            <Link
              href={centerHref('/backup-center/alerts', { subscription: chosen, severity, after: next })}
              className="text-portal-blue underline"
            >
              Older alerts
            </Link>
          )}
        </nav>
      </div>
    </>
  );
}
