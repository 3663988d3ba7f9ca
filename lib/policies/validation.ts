import { z } from 'zod';
import { RETENTION_RANGES, type Retention, type RetentionRule } from '@/lib/retention/rules';
import { MAX_TIMES_PER_DAY, type Schedule } from '@/lib/schedule';

/** The contract's messages; the form shows them as you type and the server returns them again. */
export const policyMessages = {
  name: 'Type a policy name that contains between 3 and 150 characters. It must start with a letter, end with a letter or number, and can contain only letters, numbers, and hyphens.',
  duplicate: (name: string) => `A policy named '${name}' already exists in this vault.`,
  frequency: 'Choose a daily or a weekly schedule.',
  days: 'Choose at least one day of the week for a weekly schedule.',
  times: `Choose between 1 and ${MAX_TIMES_PER_DAY} backup times a day.`,
  halfHour: 'Backup times are on the hour or the half hour (UTC).',
  repeatedTime: 'Choose each backup time once.',
  range: (rule: RetentionRule) => {
    const { min, max, unit, kind } = RETENTION_RANGES[rule];
    return `Keep ${kind} backup points for between ${min} and ${max} ${unit}.`;
  },
  dailyNeeded: 'A daily schedule keeps daily backup points: choose for how many days.',
  weeklyNeeded: 'A weekly schedule keeps weekly backup points: choose for how many weeks.',
  noDailyForWeekly: 'A weekly schedule makes no daily backup points: keep weekly ones instead.',
} as const;

export const POLICY_NAME_PATTERN = /^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$/;

export const policyNameSchema = z
  .string()
  .trim()
  .min(3, policyMessages.name)
  .max(150, policyMessages.name)
  .regex(POLICY_NAME_PATTERN, policyMessages.name);

const count = (rule: RetentionRule) =>
  z
    .number({ error: policyMessages.range(rule) })
    .int(policyMessages.range(rule))
    .min(RETENTION_RANGES[rule].min, policyMessages.range(rule))
    .max(RETENTION_RANGES[rule].max, policyMessages.range(rule))
    .nullable();

/** Schedule and retention, the part of a policy EDIT changes (a policy's name is fixed once it is made). */
export const policySettingsSchema = z
  .object({
    frequency: z.enum(['Daily', 'Weekly'], { error: policyMessages.frequency }),
    days: z.array(z.number().int().min(0).max(6)).max(7).default([]),
    times: z
      .array(z.number({ error: policyMessages.halfHour }).int(policyMessages.halfHour))
      .min(1, policyMessages.times)
      .max(MAX_TIMES_PER_DAY, policyMessages.times),
    dailyDays: count('dailyDays'),
    weeklyWeeks: count('weeklyWeeks'),
    monthlyMonths: count('monthlyMonths'),
    yearlyYears: count('yearlyYears'),
  })
  .superRefine((value, ctx) => {
    if (value.times.some((t) => t < 0 || t >= 24 * 60 || t % 30 !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['times'], message: policyMessages.halfHour });
    } else if (new Set(value.times).size !== value.times.length) {
      ctx.addIssue({ code: 'custom', path: ['times'], message: policyMessages.repeatedTime });
    }
    if (value.frequency === 'Weekly') {
      if (value.days.length === 0) ctx.addIssue({ code: 'custom', path: ['days'], message: policyMessages.days });
      if (value.dailyDays !== null) {
        ctx.addIssue({ code: 'custom', path: ['dailyDays'], message: policyMessages.noDailyForWeekly });
      }
      if (value.weeklyWeeks === null) {
        ctx.addIssue({ code: 'custom', path: ['weeklyWeeks'], message: policyMessages.weeklyNeeded });
      }
    } else if (value.dailyDays === null) {
      ctx.addIssue({ code: 'custom', path: ['dailyDays'], message: policyMessages.dailyNeeded });
    }
  })
  .transform((value) => ({
    schedule: {
      frequency: value.frequency,
      days: value.frequency === 'Weekly' ? [...new Set(value.days)].sort((a, b) => a - b) : [],
      times: [...value.times].sort((a, b) => a - b),
    } satisfies Schedule,
    retention: {
      dailyDays: value.dailyDays,
      weeklyWeeks: value.weeklyWeeks,
      monthlyMonths: value.monthlyMonths,
      yearlyYears: value.yearlyYears,
    } satisfies Retention,
  }));

export type PolicySettings = z.output<typeof policySettingsSchema>;
export type PolicySettingsInput = z.input<typeof policySettingsSchema>;

/** Field errors by field, the first message of each. */
export function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return errors;
}

/** Checks a whole policy (name, schedule, retention) as the form and the server do. */
export function validatePolicy(
  input: unknown,
): { ok: true; name: string; settings: PolicySettings } | { ok: false; fieldErrors: Record<string, string> } {
  const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const name = policyNameSchema.safeParse(record.name ?? '');
  const settings = policySettingsSchema.safeParse(record);
  const fieldErrors = {
    ...(name.success ? {} : { name: policyMessages.name }),
    ...(settings.success ? {} : fieldErrorsOf(settings.error)),
  };
  if (!name.success || !settings.success) return { ok: false, fieldErrors };
  return { ok: true, name: name.data, settings: settings.data };
}
