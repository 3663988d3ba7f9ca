import 'server-only';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import type { Services } from '@/lib/services';
import type { AlertKind } from './kinds';

export type AlertSubject = {
  vaultId: string;
  itemId: string;
  itemName: string;
  serverId: string | null;
  serverName: string;
};

/**
 * Raises an alert inside the caller's transaction (raise_alert, migration 0016): a new Active alert for the item and
 * kind with its notifications queued, or one more occurrence of the Active one. Failed and successful jobs raise and
 * resolve theirs by themselves (the operations_alerts trigger); this is for what is not a job's end.
 */
export async function raiseAlert(
  tx: Pick<Database, 'execute'>,
  subject: AlertSubject,
  kind: AlertKind,
  detail: string,
  jobId: string | null = null,
): Promise<void> {
  await tx.execute(sql`select raise_alert(${subject.vaultId}::uuid, ${subject.itemId}::uuid, ${subject.itemName},
    ${subject.serverId}::uuid, ${subject.serverName}, ${kind}::alert_kind, ${detail}, ${jobId}::uuid)`);
}

/**
 * `Backup data deleted` for each item of `itemIds` that has recovery points (STOP PROTECTION with its data, or DELETE
 * of a server). Call it in the deleting transaction before the points go, so there is still something to name.
 */
export async function raiseDataDeleted(tx: Pick<Database, 'execute'>, itemIds: string[], who: string): Promise<void> {
  if (itemIds.length === 0) return;
  await tx.execute(sql`
    select raise_alert(i.vault_id, i.id, i.path, s.id, s.name, 'BackupDataDeleted',
      ${`The backup data of this item was deleted by ${who}.`}, null)
    from protected_items i join registered_servers s on s.id = i.server_id
    where i.id = any(${`{${itemIds.join(',')}}`}::uuid[])
      and exists (select 1 from recovery_points p where p.item_id = i.id)
    order by i.id`);
}

/**
 * The staleness check (every sweep of the worker): an item still protected whose newest recovery point (or, without
 * one, its protection) is older than its vault's "Alert when no backup for" gets a `No recent backup` alert, once
 * while it lasts. Items that already have one are skipped by the index, so the check costs one probe per item.
 */
export async function raiseStaleAlerts(svc: Pick<Services, 'db'>): Promise<number> {
  const result = await svc.db.execute(sql`
    select raise_alert(i.vault_id, i.id, i.path, s.id, s.name, 'NoRecentBackup',
      'No recovery point for more than ' || v.alert_stale_hours || ' hours'
        || coalesce(' (the newest is from ' || to_char(newest.taken_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC).', '.'),
      null)
    from protected_items i
    join registered_servers s on s.id = i.server_id
    join vaults v on v.id = i.vault_id and v.status = 'Active'
    left join lateral (
      select p.taken_at from recovery_points p where p.item_id = i.id order by p.taken_at desc limit 1
    ) newest on true
    where i.status <> 'Stopped'
      and coalesce(newest.taken_at, i.created_at) < portal_now() - make_interval(hours => v.alert_stale_hours)
      and not exists (
        select 1 from alerts a where a.item_id = i.id and a.kind = 'NoRecentBackup' and a.status = 'Active'
      )`);
  return result.rowCount ?? result.rows.length;
}

/**
 * Queues each vault's hourly digest of the hours that have ended: one email per vault and hour with alerts of the
 * chosen severities raised since its settings were saved. The unique index on (vault, hour) makes it once, however
 * many workers sweep; hours older than two days are not looked at again.
 */
export async function queueDigests(svc: Pick<Services, 'db'>): Promise<void> {
  await svc.db.execute(sql`
    insert into alert_deliveries (vault_id, digest_hour, channel)
    select distinct a.vault_id, date_trunc('hour', a.created_at), 'email'::alert_channel
    from alerts a join vaults v on v.id = a.vault_id
    where a.created_at >= portal_now() - interval '2 days'
      and a.created_at < date_trunc('hour', portal_now())
      and a.created_at >= v.alert_settings_at
      and v.alert_notify = 'HourlyDigest' and v.alert_email_recipients <> ''
      and a.severity = any(v.alert_severities)
    on conflict (vault_id, digest_hour) where digest_hour is not null do nothing`);
}
