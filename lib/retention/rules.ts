import type { Frequency } from '@/lib/schedule';

/**
 * A policy's retention: how long each kind of recovery point is kept. Null: that rule keeps nothing. The ranges
 * are the contract's.
 */
export type Retention = {
  dailyDays: number | null;
  weeklyWeeks: number | null;
  monthlyMonths: number | null;
  yearlyYears: number | null;
};

export const RETENTION_RANGES = {
  dailyDays: { min: 1, max: 366, unit: 'days', kind: 'daily' },
  weeklyWeeks: { min: 1, max: 260, unit: 'weeks', kind: 'weekly' },
  monthlyMonths: { min: 1, max: 120, unit: 'months', kind: 'monthly' },
  yearlyYears: { min: 1, max: 99, unit: 'years', kind: 'yearly' },
} as const satisfies Record<keyof Retention, { min: number; max: number; unit: string; kind: string }>;

export type RetentionRule = keyof Retention;

/** "Daily points 30 days, weekly 12 weeks". */
export function describeRetention(retention: Retention): string {
  const parts: string[] = [];
  for (const rule of Object.keys(RETENTION_RANGES) as RetentionRule[]) {
    const count = retention[rule];
    if (count === null) continue;
    const { unit, kind } = RETENTION_RANGES[rule];
    const label = parts.length === 0 ? `${kind[0]!.toUpperCase()}${kind.slice(1)} points` : kind;
    parts.push(`${label} ${count} ${count === 1 ? unit.slice(0, -1) : unit}`);
  }
  return parts.join(', ');
}

/** What a policy's retention works on: its rules, and its schedule's frequency (which rule keeps every point). */
export type RetentionPolicy = Retention & { frequency: Frequency };
