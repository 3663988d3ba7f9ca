import { describeRetention, type RetentionRule } from '@/lib/retention/rules';
import { describeSchedule } from '@/lib/schedule';
import type { PolicyRow } from './policies';

/** A policy as POLICIES lists it. */
export function policyRowView(policy: PolicyRow) {
  return {
    id: policy.id,
    name: policy.name,
    schedule: describeSchedule(policy.schedule),
    retention: describeRetention(policy.retention),
    items: policy.items,
  };
}

/** What the policy form edits: text as typed, so a half-typed number can be shown and checked. */
export type PolicyFormValues = {
  name: string;
  frequency: 'Daily' | 'Weekly';
  days: number[];
  times: (number | null)[];
  retention: Record<RetentionRule, { on: boolean; count: string }>;
};

const count = (value: number | null, fallback: string) => ({
  on: value !== null,
  count: value === null ? fallback : String(value),
});

/** The form's values for a policy; a new one starts as DefaultPolicy does (daily at 22:00, 30 days). */
export function policyFormValues(policy?: PolicyRow): PolicyFormValues {
  if (!policy) {
    return {
      name: '',
      frequency: 'Daily',
      days: [],
      times: [22 * 60, null, null],
      retention: {
        dailyDays: { on: true, count: '30' },
        weeklyWeeks: { on: false, count: '4' },
        monthlyMonths: { on: false, count: '12' },
        yearlyYears: { on: false, count: '1' },
      },
    };
  }
  const { schedule, retention } = policy;
  return {
    name: policy.name,
    frequency: schedule.frequency,
    days: schedule.days,
    times: [0, 1, 2].map((i) => schedule.times[i] ?? null),
    retention: {
      dailyDays: count(retention.dailyDays, '30'),
      weeklyWeeks: count(retention.weeklyWeeks, '4'),
      monthlyMonths: count(retention.monthlyMonths, '12'),
      yearlyYears: count(retention.yearlyYears, '1'),
    },
  };
}
