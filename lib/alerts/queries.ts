import 'server-only';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { alerts, vaults } from '@/db/schema';
import { decodeCursor, encodeCursor, isUuid } from '@/lib/http/input';
import type { AlertKind, AlertNotify, AlertSeverity, AlertStatusFilter } from './kinds';

export type AlertRow = {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  status: 'Active' | 'Resolved';
  itemName: string;
  serverName: string;
  count: number;
  detail: string;
  jobId: string | null;
  createdAt: Date;
  latestAt: Date;
  resolvedAt: Date | null;
};

const columns = {
  id: alerts.id,
  kind: alerts.kind,
  severity: alerts.severity,
  status: alerts.status,
  itemName: alerts.itemName,
  serverName: alerts.serverName,
  count: alerts.count,
  detail: alerts.detail,
  jobId: alerts.jobId,
  createdAt: alerts.createdAt,
  latestAt: alerts.latestAt,
  resolvedAt: alerts.resolvedAt,
};

export const ALERTS_PAGE_SIZE = 100;

/**
 * One page of a vault's alerts, newest occurrence first, keyset-paged on (latest_at, id) by alerts_vault_idx: the
 * same cost however long the history.
 */
export async function listAlerts(
  db: Database,
  vaultId: string,
  filter: AlertStatusFilter,
  after?: string,
): Promise<{ rows: AlertRow[]; next?: string }> {
  const cursor = decodeCursor(after, (v) =>
    v.length === 2 && /^\d{1,17}$/.test(v[0]!) && isUuid(v[1]) ? ([v[0]!, v[1]] as const) : undefined,
  );
  const latest = sql`(extract(epoch from ${alerts.latestAt}) * 1000000)::bigint`;
  const rows = await db
    .select({ ...columns, micros: sql<string>`${latest}::text` })
    .from(alerts)
    .where(
      and(
        eq(alerts.vaultId, vaultId),
        filter === 'active'
          ? eq(alerts.status, 'Active')
          : filter === 'resolved'
            ? eq(alerts.status, 'Resolved')
            : undefined,
        cursor
          ? or(
              lt(latest, sql`${cursor[0]}::bigint`),
              and(eq(latest, sql`${cursor[0]}::bigint`), lt(alerts.id, cursor[1])),
            )
          : undefined,
      ),
    )
    .orderBy(desc(alerts.latestAt), desc(alerts.id))
    .limit(ALERTS_PAGE_SIZE + 1);
  const page = rows.slice(0, ALERTS_PAGE_SIZE);
  const last = page.at(-1);
  return {
    rows: page.map(({ micros: _, ...row }) => row),
    next: rows.length > ALERTS_PAGE_SIZE && last ? encodeCursor([last.micros, last.id]) : undefined,
  };
}

/** The DASHBOARD's figures: Active alerts by severity. */
export async function activeAlertCounts(db: Database, vaultId: string): Promise<Record<AlertSeverity, number>> {
  const [row] = await db
    .select({
      critical: sql<number>`count(*) filter (where ${alerts.severity} = 'Critical')::int`,
      warning: sql<number>`count(*) filter (where ${alerts.severity} = 'Warning')::int`,
    })
    .from(alerts)
    .where(and(eq(alerts.vaultId, vaultId), eq(alerts.status, 'Active')));
  return { Critical: row?.critical ?? 0, Warning: row?.warning ?? 0 };
}

export type AlertSettings = {
  emailRecipients: string;
  notify: AlertNotify;
  severities: AlertSeverity[];
  webhookUrl: string | null;
  staleHours: number;
};

/** CONFIGURE's "Alert notifications" as saved (never the webhook's secret). */
export async function alertSettings(db: Database, vaultId: string): Promise<AlertSettings | undefined> {
  const [row] = await db
    .select({
      emailRecipients: vaults.alertEmailRecipients,
      notify: vaults.alertNotify,
      severities: vaults.alertSeverities,
      webhookUrl: vaults.alertWebhookUrl,
      staleHours: vaults.alertStaleHours,
    })
    .from(vaults)
    .where(eq(vaults.id, vaultId));
  return row;
}
