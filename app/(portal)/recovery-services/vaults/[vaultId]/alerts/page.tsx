import Link from 'next/link';
import { AlertsTable } from '@/components/alerts/alerts-table';
import { AlertStatusForm } from '@/components/alerts/status-filter';
import { LiveRefresh } from '@/components/jobs/live-refresh';
import { TabEmpty } from '@/components/vaults/tab-empty';
import { ALERT_KINDS, alertStatusFilter } from '@/lib/alerts/kinds';
import { listAlerts } from '@/lib/alerts/queries';
import { formatDuration } from '@/lib/format';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function AlertsPage({
  params,
  searchParams,
}: {
  params: Promise<{ vaultId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { vault, svc, canChange } = await loadVaultTab(params, 'alerts');
  const query = await searchParams;
  const status = alertStatusFilter(query.status);
  const after = typeof query.after === 'string' ? query.after : undefined;
  const { rows, next } = await listAlerts(svc.db, vault.id, status, after);
  const now = svc.clock.now().getTime();
  const base = `/recovery-services/vaults/${vault.id}/alerts`;
  return (
    <>
      <LiveRefresh active={false} />
      <AlertStatusForm action={base} status={status} />
      {rows.length === 0 ? (
        <TabEmpty title={status === 'active' ? 'No active alerts.' : 'No alerts match this filter.'}>
          The portal raises an alert when a backup or a restore fails, backup data is deleted, an item has no recent
          backup, or a backup skips files it could not read.
        </TabEmpty>
      ) : (
        <AlertsTable
          vaultId={vault.id}
          canChange={canChange}
          alerts={rows.map((alert) => ({
            id: alert.id,
            alert: ALERT_KINDS[alert.kind].label,
            detail: alert.detail,
            item: alert.itemName,
            server: alert.serverName,
            severity: alert.severity,
            duration: formatDuration(
              Math.max(0, Math.round(((alert.resolvedAt?.getTime() ?? now) - alert.createdAt.getTime()) / 1000)),
            ),
            created: alert.createdAt.toUTCString(),
            status: alert.status,
            latest: alert.latestAt.toUTCString(),
            count: alert.count,
          }))}
        />
      )}
      <nav aria-label="Pages of alerts" className="mt-4 flex gap-6 text-sm">
        {after && (
          <Link href={`${base}?status=${status}`} className="text-portal-blue underline">
            Newest alerts
          </Link>
        )}
        {next && (
          <Link href={`${base}?status=${status}&after=${next}`} className="text-portal-blue underline">
            Older alerts
          </Link>
        )}
      </nav>
    </>
  );
}
