import 'server-only';
import { withTransaction } from '@/db/client';
import { failRestoresOfDeleted } from '@/lib/backups/ended-restores';
import { enqueueCollect, type RetentionJob } from '@/lib/queues';
import type { Services } from '@/lib/services';
import type { RetentionPolicy } from './rules';
import { selectRetained } from './select';

export type RetentionResult = { deleted: number };

type ItemPolicy = {
  status: 'Pending' | 'Protected' | 'Stopped';
  frequency: RetentionPolicy['frequency'];
  daily_days: number | null;
  weekly_weeks: number | null;
  monthly_months: number | null;
  yearly_years: number | null;
};

/**
 * Applies an item's policy to its recovery points: the points no rule keeps are deleted (their references to
 * objects go with them), and garbage collection of the keys they used is enqueued in the same transaction, so the
 * storage they alone held is freed. A stopped item keeps its points, as "stop protection and retain data" says.
 * The item's row lock serialises two runs for one item; a backup committing meanwhile adds a point this run does
 * not see, and so does not delete.
 */
export async function applyRetention(svc: Services, itemId: string, now = svc.clock.now()): Promise<RetentionResult> {
  return withTransaction(svc.pool, async (_tx, client) => {
    const { rows: items } = await client.query<ItemPolicy>(
      `select i.status, p.frequency, p.daily_days, p.weekly_weeks, p.monthly_months, p.yearly_years
       from protected_items i join backup_policies p on p.id = i.policy_id
       where i.id = $1 for update of i`,
      [itemId],
    );
    const item = items[0];
    if (!item || item.status === 'Stopped') return { deleted: 0 };
    const { rows: points } = await client.query<{ id: string; taken_at: Date; key_id: string }>(
      'select id, taken_at, key_id from recovery_points where item_id = $1',
      [itemId],
    );
    const keep = selectRetained(
      points.map((p) => ({ id: p.id, takenAt: p.taken_at })),
      {
        frequency: item.frequency,
        dailyDays: item.daily_days,
        weeklyWeeks: item.weekly_weeks,
        monthlyMonths: item.monthly_months,
        yearlyYears: item.yearly_years,
      },
      now,
    );
    const doomed = points.filter((p) => !keep.has(p.id));
    if (doomed.length === 0) return { deleted: 0 };
    const doomedIds = doomed.map((p) => p.id);
    await failRestoresOfDeleted(
      client,
      { pointIds: doomedIds },
      'its recovery point was deleted by the backup policy.',
    );
    await client.query('delete from recovery_points where id = any($1::uuid[])', [doomedIds]);
    await enqueueCollect(svc, client, [...new Set(doomed.map((p) => p.key_id))]);
    return { deleted: doomed.length };
  });
}

/** The hourly sweep: points age out of their rules with no backup happening, so every protected item is looked at. */
export async function applyRetentionEverywhere(svc: Services, now = svc.clock.now()): Promise<RetentionResult> {
  const { rows } = await svc.pool.query<{ id: string }>(
    `select i.id from protected_items i
     where i.status <> 'Stopped' and (select count(*) from recovery_points p where p.item_id = i.id) > 1`,
  );
  let deleted = 0;
  for (const { id } of rows) deleted += (await applyRetention(svc, id, now)).deleted;
  return { deleted };
}

/** The retention queue's handler. */
export async function runRetentionJob(svc: Services, job: RetentionJob): Promise<RetentionResult> {
  return job.itemId ? applyRetention(svc, job.itemId) : applyRetentionEverywhere(svc);
}
