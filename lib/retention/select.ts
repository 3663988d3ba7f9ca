import type { RetentionPolicy } from './rules';

/**
 * Grandfather-father-son selection of the recovery points to keep: a pure function of the points, the policy and a
 * time, shared by the retention job (which deletes the rest) and the policy form's preview.
 *
 * - The schedule's own rule (daily for a daily schedule, weekly for a weekly one) keeps every point younger than
 *   its span: each scheduled backup is such a point.
 * - The longer rules keep the newest point of each UTC calendar week (Monday to Sunday), month and year, while that
 *   point is younger than the rule's span.
 * - The newest point of all is always kept, so an item whose backups stopped still has one to restore.
 *
 * Points leave for good: a point outside every rule never comes back into one as time passes or other points go,
 * so pruning every day and pruning once at the end keep the same points.
 */

export type PointTime = { id: string; takenAt: Date };

const DAY_MS = 86_400_000;

export function selectRetained(points: readonly PointTime[], policy: RetentionPolicy, now: Date): Set<string> {
  const keep = new Set<string>();
  const newestFirst = [...points].sort(
    (a, b) => b.takenAt.getTime() - a.takenAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  if (newestFirst.length === 0) return keep;
  keep.add(newestFirst[0]!.id);
  const t = now.getTime();

  const base = policy.frequency === 'Daily' ? policy.dailyDays : policy.weeklyWeeks;
  if (base !== null) {
    const cutoff = t - base * (policy.frequency === 'Daily' ? 1 : 7) * DAY_MS;
    for (const point of newestFirst) if (point.takenAt.getTime() > cutoff) keep.add(point.id);
  }

  const periods: Array<{ count: number | null; cutoff: (n: number) => number; key: (d: Date) => number }> = [
    {
      count: policy.frequency === 'Daily' ? policy.weeklyWeeks : null,
      cutoff: (n) => t - n * 7 * DAY_MS,
      key: weekOf,
    },
    { count: policy.monthlyMonths, cutoff: (n) => addMonths(now, -n), key: (d) => monthOf(d) },
    { count: policy.yearlyYears, cutoff: (n) => addMonths(now, -12 * n), key: (d) => d.getUTCFullYear() },
  ];
  for (const period of periods) {
    if (period.count === null) continue;
    const cutoff = period.cutoff(period.count);
    const seen = new Set<number>();
    for (const point of newestFirst) {
      const key = period.key(point.takenAt);
      if (seen.has(key)) continue;
      seen.add(key);
      if (point.takenAt.getTime() > cutoff) keep.add(point.id);
    }
  }
  return keep;
}

/** How many of the points the policy keeps and how many it deletes, at `now`. */
export function retentionOutcome(
  points: readonly PointTime[],
  policy: RetentionPolicy,
  now: Date,
): { kept: number; deleted: number } {
  const kept = selectRetained(points, policy, now).size;
  return { kept, deleted: points.length - kept };
}

/** The UTC week (Monday to Sunday) a time falls in, counted from the week of 1970-01-01 (a Thursday). */
function weekOf(date: Date): number {
  const day = Math.floor(date.getTime() / DAY_MS);
  return Math.floor((day + 3) / 7);
}

function monthOf(date: Date): number {
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** The same time `months` calendar months away, on the month's last day when it is shorter (Mar 31 - 1 = Feb 28). */
function addMonths(date: Date, months: number): number {
  const target = new Date(date.getTime());
  const day = target.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}
