import type { Metadata } from 'next';
import Link from 'next/link';
import { AdherenceGrid } from '@/components/center/adherence-grid';
import { CenterWindowField } from '@/components/center/filters';
import { CenterItemsTable } from '@/components/center/items-table';
import { CenterTile, TileRow } from '@/components/center/tiles';
import { JobsPerDayFigure, StorageFigure } from '@/components/center/vault-charts';
import { ChartFigure } from '@/components/charts/chart-figure';
import { LiveRefresh } from '@/components/jobs/live-refresh';
import { EmptyState, PageTitle } from '@/components/page-title';
import { SubscriptionFilter } from '@/components/vaults/vault-list';
import { centerFigures } from '@/lib/center/figures';
import { loadCenterPage } from '@/lib/center/page';
import { parseWindow, windowDays } from '@/lib/center/queries';
import { centerHref, itemRows, savingFactor } from '@/lib/center/view';
import { formatBytes } from '@/lib/format';

export const metadata: Metadata = { title: 'Backup center' };

/** The fleet at a glance (portal-contract.md, "Backup center"): every vault of the user's subscriptions. */
export default async function BackupCenterPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { user, svc, text, scope, chosen, unknown } = await loadCenterPage(searchParams);
  const window = parseWindow(text('window'));
  const days = windowDays(svc.clock.now(), window);
  const itemsAfter = text('items_after');
  const { tiles, attention, grid, charts } = await centerFigures(svc.pool, scope, days, itemsAfter);
  const href = (path: string, params: Record<string, string | undefined> = {}) =>
    centerHref(path, { subscription: chosen, ...params });
  const itemsHref = (health: string) => href('/backup-center/items', { health });
  const jobsHref = (status: string) => href('/backup-center/jobs', { status, span: '24h' });
  const alertsHref = (severity: string) => href('/backup-center/alerts', { severity });
  const items = tiles.items;
  const totalItems = items.Healthy + items.Failed + items.Inactive + items.Pending;
  return (
    <>
      <LiveRefresh active={false} idleMs={10_000} />
      <PageTitle>backup center</PageTitle>
      <SubscriptionFilter action="/backup-center" subscriptions={user.subscriptions} chosen={chosen} unknown={unknown}>
        <CenterWindowField window={window} />
      </SubscriptionFilter>
      <div className="grid gap-8 px-8 pb-10">
        <TileRow>
          <CenterTile
            id="tile-jobs"
            name="Jobs in the last 24 hours"
            figures={[
              { label: 'Completed', value: tiles.jobs.Completed, href: jobsHref('Completed'), tone: 'good' },
              { label: 'Failed', value: tiles.jobs.Failed, href: jobsHref('Failed'), tone: 'bad' },
              { label: 'In progress', value: tiles.jobs.InProgress, href: jobsHref('InProgress'), tone: 'busy' },
              { label: 'Cancelled', value: tiles.jobs.Cancelled, href: jobsHref('Cancelled') },
            ]}
          />
          <CenterTile
            id="tile-items"
            name="Protected items"
            figures={[
              { label: 'Healthy', value: items.Healthy, href: itemsHref('Healthy'), tone: 'good' },
              { label: 'Failed', value: items.Failed, href: itemsHref('Failed'), tone: 'bad' },
              { label: 'Inactive', value: items.Inactive, href: itemsHref('Inactive'), tone: 'warn' },
              { label: 'Pending', value: items.Pending, href: itemsHref('Pending') },
            ]}
          />
          <CenterTile
            id="tile-storage"
            name="Storage"
            figures={[
              { label: 'Stored', value: formatBytes(tiles.storage.storedBytes), href: href('/recovery-services') },
              { label: 'Source data', value: formatBytes(tiles.storage.sourceBytes), href: href('/recovery-services') },
              {
                label: 'Saving',
                value: savingFactor(tiles.storage.sourceBytes, tiles.storage.storedBytes),
                href: href('/recovery-services'),
              },
            ]}
          />
          <CenterTile
            id="tile-alerts"
            name="Alerts in the last 24 hours"
            figures={[
              { label: 'Critical', value: tiles.alerts.Critical, href: alertsHref('Critical'), tone: 'bad' },
              { label: 'Warning', value: tiles.alerts.Warning, href: alertsHref('Warning'), tone: 'warn' },
            ]}
          />
        </TileRow>

        <section aria-labelledby="attention">
          <h2 id="attention" className="mb-3 text-xl font-light">
            items needing attention
          </h2>
          {attention.items.length === 0 ? (
            <p className="text-sm text-portal-muted">
              No item needs attention: every protected item&apos;s newest backup succeeded within 7 days, or is pending.
            </p>
          ) : (
            <>
              <CenterItemsTable label="Items needing attention" rows={itemRows(attention.items)} />
              {attention.next && (
                <p className="mt-2 text-sm">
                  <Link
                    href={href('/backup-center/items', { health: 'Failed,Inactive' })}
                    className="text-portal-blue underline"
                  >
                    All {items.Failed + items.Inactive} items needing attention
                  </Link>
                </p>
              )}
            </>
          )}
        </section>

        <section aria-labelledby="adherence">
          <h2 id="adherence" className="mb-3 text-xl font-light">
            policy adherence
          </h2>
          <p className="mb-3 text-sm text-portal-muted">
            Each day of the last {window} days (UTC): green when the item got a recovery point, red when its backups
            failed, grey when it had none.
          </p>
          {totalItems === 0 ? (
            <EmptyState title="There are no protected items yet.">
              Register a server in a vault and protect a folder: its backups appear here.
            </EmptyState>
          ) : (
            <>
              <AdherenceGrid days={days} rows={grid.rows} />
              <nav aria-label="Pages of items" className="mt-2 flex gap-6 text-sm">
                {itemsAfter && (
                  <Link
                    href={href('/backup-center', { window: String(window) })}
                    className="text-portal-blue underline"
                  >
                    First items
                  </Link>
                )}
                {grid.next && (
                  <Link
                    href={href('/backup-center', { window: String(window), items_after: grid.next })}
                    className="text-portal-blue underline"
                  >
                    Next items
                  </Link>
                )}
              </nav>
            </>
          )}
        </section>

        <section aria-labelledby="charts">
          <div className="mb-3 flex items-baseline gap-6">
            <h2 id="charts" className="text-xl font-light">
              over the last {window} days
            </h2>
            <a
              href={centerHref('/api/backup-center/jobs', { subscription: chosen, window: String(window) })}
              download="jobs.csv"
              className="text-sm text-portal-blue underline"
            >
              Export jobs (CSV)
            </a>
          </div>
          <div className="grid gap-4 xl:grid-cols-3">
            <JobsPerDayFigure jobs={charts.jobs} />
            <StorageFigure storage={charts.storage} />
            <ChartFigure
              name="Backup duration"
              days={days}
              unit="seconds"
              empty="No completed backups in this window."
              series={charts.durations.items.map((item, i) => ({
                label: item.name,
                values: charts.durations.days.map((d) => d.seconds[i] ?? null),
                color: ['#0072c6', '#107c10', '#8a6d00', '#c50f1f', '#5c2d91'][i % 5]!,
                style: 'line' as const,
                points: true,
              }))}
            />
          </div>
        </section>
      </div>
    </>
  );
}
