import 'server-only';
import type pg from 'pg';
import { cache } from 'react';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@/lib/http/input';

/**
 * The Backup center's figures (portal-contract.md, "Backup center"), for a set of subscriptions or one vault. Every
 * figure reads the daily rollups (vault_days, item_days: migration 0018, kept by triggers), the items' own newest
 * job and point, or the last day's jobs on operations_subscription_idx: none of them scans the history, so their
 * cost follows the fleet's size and the window, not the number of jobs ever run.
 */

/** Whose figures: the vaults of some subscriptions (the Backup center), or one vault (its DASHBOARD). */
export type Scope = { subscriptionIds: string[] } | { vaultId: string };

export const WINDOWS = [7, 30, 90] as const;
export type WindowDays = (typeof WINDOWS)[number];
export const DEFAULT_WINDOW: WindowDays = 30;

export function parseWindow(value: string | undefined): WindowDays {
  const days = Number(value);
  return (WINDOWS as readonly number[]).includes(days) ? (days as WindowDays) : DEFAULT_WINDOW;
}

/** A health state of a protected item (the Protected items tile; Items needing attention shows the bad two). */
export const ITEM_HEALTH = ['Healthy', 'Failed', 'Inactive', 'Pending'] as const;
export type ItemHealth = (typeof ITEM_HEALTH)[number];

/** An item is Inactive when its newest recovery point is older than this. */
const INACTIVE_DAYS = 7;

/**
 * SQL of an item's health, for `protected_items i` (the newest backup job's outcome, the newest point's time): a
 * failed newest backup is Failed whatever else holds; no point yet is Pending; an old point is Inactive.
 */
const HEALTH_SQL = `case
  when i.last_backup_status = 'Failed' then 'Failed'
  when i.last_point_at is null then 'Pending'
  when i.last_point_at < portal_now() - interval '${INACTIVE_DAYS} days' then 'Inactive'
  else 'Healthy' end`;

/** The condition (and its parameter) choosing the scope's rows of a table with vault_id (and subscription_id). */
function where(scope: Scope, alias: string, param: number, bySubscription = true): { sql: string; value: unknown } {
  if ('vaultId' in scope) return { sql: `${alias}.vault_id = $${param}`, value: scope.vaultId };
  return bySubscription
    ? { sql: `${alias}.subscription_id = any($${param}::uuid[])`, value: scope.subscriptionIds }
    : {
        sql: `${alias}.vault_id in (select id from vaults where subscription_id = any($${param}::uuid[]))`,
        value: scope.subscriptionIds,
      };
}

export type Tiles = {
  jobs: { Completed: number; Failed: number; InProgress: number; Cancelled: number };
  items: Record<ItemHealth, number>;
  storage: { storedBytes: number; sourceBytes: number };
  alerts: { Critical: number; Warning: number };
};

type DayTotals = { day: string; completed: string; failed: string; added: string; removed: string }[];

/**
 * The scope's vault days summed by day, every day of the history (one row a day): the bytes stored are their sum,
 * and the charts' days are among them. Read once per request (React's cache, keyed by the pool and the scope object)
 * when the page asks for both the tiles and the charts, since this is the part of either that grows with history.
 */
const vaultDayTotals = cache(async (pool: pg.Pool, scope: Scope): Promise<DayTotals> => {
  const scoped = where(scope, 'd', 1);
  const { rows } = await pool.query<DayTotals[number]>(
    `select to_char(d.day, 'YYYY-MM-DD') as day, sum(d.backups_completed + d.restores_completed) as completed,
        sum(d.backups_failed + d.restores_failed) as failed, sum(d.bytes_added) as added,
        sum(d.bytes_removed) as removed
      from vault_days d where ${scoped.sql} group by d.day`,
    [scoped.value],
  );
  return rows;
});

/** The four tiles, in two round trips made together. */
export async function centerTiles(pool: pg.Pool, scope: Scope): Promise<Tiles> {
  const jobs = where(scope, 'o', 1);
  const items = where(scope, 'i', 1, false);
  const alerts = where(scope, 'a', 1, false);
  const [{ rows }, totals] = await Promise.all([
    pool.query(
      `select
      (select json_build_object(
          'Completed', count(*) filter (where status = 'Succeeded'), 'Failed', count(*) filter (where status = 'Failed'),
          'InProgress', count(*) filter (where status = 'InProgress'),
          'Cancelled', count(*) filter (where status = 'Cancelled'))
        from operations o
        where ${jobs.sql} and o.kind in ('Backup', 'Restore') and o.started_at > portal_now() - interval '24 hours') as jobs,
      (select json_build_object(
          'Healthy', count(*) filter (where h = 'Healthy'), 'Failed', count(*) filter (where h = 'Failed'),
          'Inactive', count(*) filter (where h = 'Inactive'), 'Pending', count(*) filter (where h = 'Pending'),
          'sourceBytes', coalesce(sum(b), 0))
        from (select ${HEALTH_SQL} as h, i.last_point_bytes as b from protected_items i
              where ${items.sql} and i.status <> 'Stopped') s) as items,
      (select json_build_object(
          'Critical', count(*) filter (where severity = 'Critical'), 'Warning', count(*) filter (where severity = 'Warning'))
        from alerts a where ${alerts.sql} and a.created_at > portal_now() - interval '24 hours') as alerts`,
      [jobs.value],
    ),
    vaultDayTotals(pool, scope),
  ]);
  const row = rows[0];
  const stored = totals.reduce((sum, d) => sum + Number(d.added) - Number(d.removed), 0);
  const { sourceBytes, ...health } = row.items as Record<ItemHealth, number> & { sourceBytes: number };
  return {
    jobs: row.jobs,
    items: health,
    storage: { storedBytes: stored, sourceBytes: Number(sourceBytes) },
    alerts: row.alerts,
  };
}

export type CenterItem = {
  id: string;
  vaultId: string;
  vaultName: string;
  path: string;
  serverName: string;
  health: ItemHealth;
  lastGoodBackup: Date | null;
  /** The newest backup job's error, for a Failed item. */
  reason: string | null;
};

const itemCursor = z.tuple([z.string(), z.string(), z.uuid()]);

/**
 * The scope's protected items of some health states: oldest good backup first (none first), then by vault and path,
 * a page at a time (keyset on last_point_at, vault name and id).
 */
export async function itemsByHealth(
  pool: pg.Pool,
  scope: Scope,
  health: readonly ItemHealth[],
  options: { limit?: number; after?: string } = {},
): Promise<{ items: CenterItem[]; next?: string }> {
  const limit = options.limit ?? 50;
  const scoped = where(scope, 'i', 1, false);
  const after = decodeCursor(options.after, (values) => itemCursor.safeParse(values).data);
  // The keyset: (last point time or -infinity, path, id) ascending.
  const keyset = after
    ? `and (coalesce(i.last_point_at, '-infinity'::timestamptz), i.path, i.id) > ($4::timestamptz, $5, $6::uuid)`
    : '';
  const { rows } = await pool.query(
    `select i.id, i.vault_id, v.name as vault_name, i.path, s.name as server_name, i.last_point_at,
        ${HEALTH_SQL} as health,
        case when i.last_backup_status = 'Failed' then (
          select o.message from operations o where o.item_id = i.id and o.kind = 'Backup'
          order by o.started_at desc limit 1) end as reason
      from protected_items i
      join vaults v on v.id = i.vault_id
      join registered_servers s on s.id = i.server_id
      where ${scoped.sql} and i.status <> 'Stopped' and (${HEALTH_SQL}) = any($2::text[]) ${keyset}
      order by coalesce(i.last_point_at, '-infinity'::timestamptz), i.path, i.id
      limit $3`,
    after ? [scoped.value, health, limit + 1, ...after] : [scoped.value, health, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      vaultId: r.vault_id,
      vaultName: r.vault_name,
      path: r.path,
      serverName: r.server_name,
      health: r.health,
      lastGoodBackup: r.last_point_at,
      reason: r.reason,
    })),
    next:
      rows.length > limit && last
        ? encodeCursor([last.last_point_at?.toISOString() ?? '-infinity', last.path, last.id])
        : undefined,
  };
}

/** The window's UTC days, oldest first, ending today (by the portal's clock). */
export function windowDays(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) =>
    new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

export type DayOutcome = 'Success' | 'Failed' | 'No backup';

export type AdherenceRow = {
  id: string;
  vaultId: string;
  vaultName: string;
  path: string;
  serverName: string;
  /** One per day of the window, oldest first. */
  days: DayOutcome[];
  /** The share of the window's days with a recovery point, 0–100. */
  share: number;
};

const adherenceCursor = z.tuple([z.string(), z.string(), z.uuid()]);

/** Items per page of the Policy adherence grid: 25 rows of up to 90 days are 2,250 cells, its pages' links the rest. */
export const ADHERENCE_ROWS = 25;

/**
 * Policy adherence: a page of the scope's protected items (by vault name, path) with each day of the window: a day
 * with a recovery point or a completed backup is a Success, one with only failed backups Failed, else No backup.
 */
export async function adherence(
  pool: pg.Pool,
  scope: Scope,
  days: string[],
  options: { limit?: number; after?: string } = {},
): Promise<{ rows: AdherenceRow[]; next?: string }> {
  const limit = options.limit ?? ADHERENCE_ROWS;
  const vaults = 'vaultId' in scope ? 'v.id = $1' : 'v.subscription_id = any($1::uuid[])';
  const value = 'vaultId' in scope ? scope.vaultId : scope.subscriptionIds;
  const after = decodeCursor(options.after, (values) => adherenceCursor.safeParse(values).data);
  // The scope's vaults by name, each one's first items by path (a page at most, from protected_items_vault_idx),
  // then the page in (vault name, path, id) order: a few vaults' items are read, not every item sorted.
  const keyset = after ? 'and (v.name, i.path, i.id) > ($5, $6, $7::uuid)' : '';
  const { rows } = await pool.query(
    `with page as (
       select i.id, i.vault_id, v.name as vault_name, i.path, s.name as server_name
       from (select v.id, v.name from vaults v where ${vaults} ${after ? 'and v.name >= $5' : ''} order by v.name) v
       cross join lateral (
         select i.id, i.vault_id, i.path, i.server_id from protected_items i
         where i.vault_id = v.id and i.status <> 'Stopped' ${keyset}
         order by i.path, i.id limit $2) i
       join registered_servers s on s.id = i.server_id
       order by v.name, i.path, i.id
       limit $2)
     select p.*, coalesce((
         select json_agg(json_build_array(d.day, d.points, d.backups_completed, d.backups_failed))
         from item_days d where d.item_id = p.id and d.day between $3::date and $4::date), '[]') as days
     from page p order by p.vault_name, p.path, p.id`,
    [value, limit + 1, days[0], days.at(-1), ...(after ?? [])],
  );
  const page = rows.slice(0, limit);
  const result = page.map((r) => {
    const byDay = new Map<string, DayOutcome>();
    let withPoint = 0;
    for (const [day, points, completed, failed] of r.days as [string, number, number, number][]) {
      byDay.set(day, points > 0 || completed > 0 ? 'Success' : failed > 0 ? 'Failed' : 'No backup');
      if (points > 0) withPoint++;
    }
    return {
      id: r.id,
      vaultId: r.vault_id,
      vaultName: r.vault_name,
      path: r.path,
      serverName: r.server_name,
      days: days.map((day) => byDay.get(day) ?? 'No backup'),
      share: Math.round((withPoint / days.length) * 100),
    };
  });
  const last = page.at(-1);
  return {
    rows: result,
    next: rows.length > limit && last ? encodeCursor([last.vault_name, last.path, last.id]) : undefined,
  };
}

export type JobsPerDay = { day: string; completed: number; failed: number }[];
export type StoragePerDay = { day: string; storedBytes: number; addedBytes: number }[];

/** Jobs per day (backups and restores, Completed and Failed) and storage per day, over the window's days. */
export async function dailySeries(
  pool: pg.Pool,
  scope: Scope,
  days: string[],
): Promise<{ jobs: JobsPerDay; storage: StoragePerDay }> {
  const totals = await vaultDayTotals(pool, scope);
  const first = days[0]!;
  const last = days.at(-1)!;
  // What was stored when the window began, then each of its days.
  let stored = 0;
  const byDay = new Map<string, DayTotals[number]>();
  for (const d of totals) {
    if (d.day < first) stored += Number(d.added) - Number(d.removed);
    else if (d.day <= last) byDay.set(d.day, d);
  }
  const jobs: JobsPerDay = [];
  const storage: StoragePerDay = [];
  for (const day of days) {
    const d = byDay.get(day);
    const [completed, failed, added] = [Number(d?.completed ?? 0), Number(d?.failed ?? 0), Number(d?.added ?? 0)];
    stored += added - Number(d?.removed ?? 0);
    jobs.push({ day, completed, failed });
    storage.push({ day, storedBytes: stored, addedBytes: added });
  }
  return { jobs, storage };
}

export type DurationSeries = {
  items: { id: string; name: string }[];
  days: { day: string; seconds: (number | null)[] }[];
};

/**
 * Backup duration per item per day (each day's longest completed backup) for the window's slowest items (by their
 * longest backup in the window), so the chart stays readable however large the fleet.
 */
export async function backupDurations(pool: pg.Pool, scope: Scope, days: string[], top = 5): Promise<DurationSeries> {
  const scoped = where(scope, 'd', 1);
  const { rows } = await pool.query(
    // The window's longest rows first: an item has a row a day, so the first `top` × days rows hold the `top` items
    // with the longest backups (each at its longest), found by a top-N sort rather than a grouping of every row.
    `with longest as (
       select d.item_id, d.backup_seconds_max from item_days d
       where ${scoped.sql} and d.day between $2::date and $3::date and d.backups_completed > 0
       order by d.backup_seconds_max desc, d.item_id limit $5),
     slowest as (
       select item_id, max(backup_seconds_max) as longest from longest
       group by item_id order by longest desc, item_id limit $4)
     select w.item_id, coalesce(s.name || ': ' || i.path,
         -- An item no longer protected: named as its newest job names it.
         (select o.server_name || ': ' || o.item_name from operations o where o.item_id = w.item_id
           order by o.started_at desc limit 1), 'A deleted item') as name,
       (select json_agg(json_build_array(d.day, d.backup_seconds_max)) from item_days d
         where d.item_id = w.item_id and d.day between $2::date and $3::date and d.backups_completed > 0) as days
     from slowest w
     left join protected_items i on i.id = w.item_id
     left join registered_servers s on s.id = i.server_id
     order by w.longest desc, w.item_id`,
    [scoped.value, days[0], days.at(-1), top, top * days.length],
  );
  const items = rows.map((r) => ({ id: r.item_id as string, name: r.name as string }));
  const perItem = rows.map((r) => new Map((r.days as [string, number][]).map(([day, s]) => [day, s])));
  return {
    items,
    days: days.map((day) => ({ day, seconds: perItem.map((m) => m.get(day) ?? null) })),
  };
}

/** The three charts' figures over the window's days. */
export async function centerCharts(
  pool: pg.Pool,
  scope: Scope,
  days: string[],
): Promise<{ jobs: JobsPerDay; storage: StoragePerDay; durations: DurationSeries }> {
  const [series, durations] = await Promise.all([dailySeries(pool, scope, days), backupDurations(pool, scope, days)]);
  return { ...series, durations };
}

export type CenterAlert = {
  id: string;
  vaultId: string;
  vaultName: string;
  kind: string;
  severity: 'Critical' | 'Warning';
  status: 'Active' | 'Resolved';
  itemName: string;
  serverName: string;
  detail: string;
  createdAt: Date;
};

const alertCursor = z.tuple([z.iso.datetime(), z.uuid()]);

/** Alerts raised in the scope's vaults in the last 24 hours, newest first, a page at a time: the Alerts tile's list. */
export async function recentAlerts(
  pool: pg.Pool,
  scope: Scope,
  options: { severity?: 'Critical' | 'Warning'; after?: string; limit?: number } = {},
): Promise<{ alerts: CenterAlert[]; next?: string }> {
  const limit = options.limit ?? 50;
  const scoped = where(scope, 'a', 1, false);
  const after = decodeCursor(options.after, (values) => alertCursor.safeParse(values).data);
  const { rows } = await pool.query(
    `select a.id, a.vault_id, v.name as vault_name, a.kind, a.severity, a.status, a.item_name, a.server_name,
        a.detail, a.created_at
      from alerts a join vaults v on v.id = a.vault_id
      where ${scoped.sql} and a.created_at > portal_now() - interval '24 hours'
        and ($3::text is null or a.severity::text = $3)
        and ($4::timestamptz is null or (a.created_at, a.id) < ($4, $5::uuid))
      order by a.created_at desc, a.id desc limit $2`,
    [scoped.value, limit + 1, options.severity ?? null, after?.[0] ?? null, after?.[1] ?? null],
  );
  const alerts: CenterAlert[] = rows.slice(0, limit).map((r) => ({
    id: r.id,
    vaultId: r.vault_id,
    vaultName: r.vault_name,
    kind: r.kind,
    severity: r.severity,
    status: r.status,
    itemName: r.item_name,
    serverName: r.server_name,
    detail: r.detail,
    createdAt: r.created_at,
  }));
  const last = alerts.at(-1);
  return {
    alerts,
    next: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : undefined,
  };
}
