import 'server-only';
import { PortalError } from '@/lib/errors';
import { cancelJobOrThrow } from '@/lib/jobs/cancel';
import {
  createPolicyOrThrow,
  deletePolicyOrThrow,
  findPolicy,
  listPolicies,
  type PolicyRow,
  updatePolicyOrThrow,
} from '@/lib/policies/policies';
import type { Retention } from '@/lib/retention/rules';
import { parseTime, type Schedule, WEEKDAYS } from '@/lib/schedule';
import type { VaultRow } from '@/lib/vaults/queries';
import { type ArmContext, jsonBody } from './context';
import { notFound, withRefusals } from './errors';
import { vaultPath } from './resources';
import { vaultOfPath } from './vaults';

// A schedule's times are times of day; Azure sends and shows them on an arbitrary date.
const TIME_DATE = '2020-01-01';

const DURATION = {
  dailyDays: ['dailySchedule', 'Days'],
  weeklyWeeks: ['weeklySchedule', 'Weeks'],
  monthlyMonths: ['monthlySchedule', 'Months'],
  yearlyYears: ['yearlySchedule', 'Years'],
} as const satisfies Record<keyof Retention, [string, string]>;

// The newest point of a week, month or year is kept: Sunday's, the month's last day's, 31 December's.
const LAST_DAY_OF_MONTH = { daysOfTheMonth: [{ date: 0, isLast: true }] };

/** The SDK's ProtectionPolicyResource with a MabProtectionPolicy (SimpleSchedulePolicy, LongTermRetentionPolicy). */
function policyResource(vault: VaultRow, policy: PolicyRow) {
  const times = policy.schedule.times.map((m) => new Date(`${TIME_DATE}T00:00:00Z`).getTime() + m * 60_000);
  const retentionTimes = times.map((t) => new Date(t).toISOString());
  const weekly = policy.schedule.frequency === 'Weekly';
  const days = policy.schedule.days.map((d) => WEEKDAYS[d]);
  const r = policy.retention;
  return {
    id: `${vaultPath(vault)}/backupPolicies/${policy.name}`,
    name: policy.name,
    type: 'Microsoft.RecoveryServices/vaults/backupPolicies',
    properties: {
      backupManagementType: 'MAB',
      protectedItemsCount: policy.items,
      schedulePolicy: {
        schedulePolicyType: 'SimpleSchedulePolicy',
        scheduleRunFrequency: policy.schedule.frequency,
        ...(weekly ? { scheduleRunDays: days } : {}),
        scheduleRunTimes: retentionTimes,
        scheduleWeeklyFrequency: 0,
      },
      retentionPolicy: {
        retentionPolicyType: 'LongTermRetentionPolicy',
        ...(r.dailyDays !== null
          ? { dailySchedule: { retentionTimes, retentionDuration: { count: r.dailyDays, durationType: 'Days' } } }
          : {}),
        ...(r.weeklyWeeks !== null
          ? {
              weeklySchedule: {
                daysOfTheWeek: weekly ? days : ['Sunday'],
                retentionTimes,
                retentionDuration: { count: r.weeklyWeeks, durationType: 'Weeks' },
              },
            }
          : {}),
        ...(r.monthlyMonths !== null
          ? {
              monthlySchedule: {
                retentionScheduleFormatType: 'Daily',
                retentionScheduleDaily: LAST_DAY_OF_MONTH,
                retentionTimes,
                retentionDuration: { count: r.monthlyMonths, durationType: 'Months' },
              },
            }
          : {}),
        ...(r.yearlyYears !== null
          ? {
              yearlySchedule: {
                retentionScheduleFormatType: 'Daily',
                monthsOfYear: ['December'],
                retentionScheduleDaily: LAST_DAY_OF_MONTH,
                retentionTimes,
                retentionDuration: { count: r.yearlyYears, durationType: 'Years' },
              },
            }
          : {}),
      },
    },
  };
}

export async function listBackupPolicies(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  const filter = ctx.request.nextUrl.searchParams.get('$filter');
  const management = /backupManagementType\s+eq\s+'([^']*)'/i.exec(filter ?? '')?.[1];
  if (management && management.toLowerCase() !== 'mab') return Response.json({ value: [] });
  const policies = await listPolicies(ctx.svc.db, vault.id);
  return Response.json({ value: policies.map((p) => policyResource(vault, p)) });
}

async function policyOfPath(ctx: ArmContext) {
  const vault = await vaultOfPath(ctx);
  const name = ctx.params.policyName!;
  const policy = await findPolicy(ctx.svc.db, vault.id, { name });
  return { vault, name, policy };
}

export async function getBackupPolicy(ctx: ArmContext): Promise<Response> {
  const { vault, name, policy } = await policyOfPath(ctx);
  if (!policy) throw notFound(`The backup policy '${name}' was not found in the backup vault '${vault.name}'.`);
  return Response.json(policyResource(vault, policy));
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The portal's settings from a MabProtectionPolicy body; the domain then checks them as the form's are checked. */
function settingsOfBody(body: unknown): Record<string, unknown> {
  const properties = record(record(body).properties);
  if (String(properties.backupManagementType ?? '').toLowerCase() !== 'mab') {
    throw new PortalError(
      'invalid',
      "Only policies with backupManagementType 'MAB' (the Recovery Services agent's files and folders) are served here.",
    );
  }
  const schedule = record(properties.schedulePolicy);
  const retention = record(properties.retentionPolicy);
  const times = (Array.isArray(schedule.scheduleRunTimes) ? schedule.scheduleRunTimes : []).map((t) => {
    const date = new Date(String(t));
    return Number.isNaN(date.getTime())
      ? parseTime(String(t))
      : date.getUTCSeconds() || date.getUTCMilliseconds()
        ? Number.NaN
        : date.getUTCHours() * 60 + date.getUTCMinutes();
  });
  const days = (Array.isArray(schedule.scheduleRunDays) ? schedule.scheduleRunDays : []).map((d) =>
    WEEKDAYS.findIndex((w) => w.toLowerCase() === String(d).toLowerCase()),
  );
  const counts = Object.fromEntries(
    Object.entries(DURATION).map(([rule, [key]]) => {
      const duration = record(record(retention[key]).retentionDuration);
      return [rule, retention[key] === undefined || retention[key] === null ? null : Number(duration.count)];
    }),
  );
  const frequency = String(schedule.scheduleRunFrequency ?? '');
  return {
    frequency: frequency.charAt(0).toUpperCase() + frequency.slice(1).toLowerCase(),
    days: days.filter((d) => d >= 0),
    times,
    ...counts,
  } satisfies Partial<Record<keyof Schedule | keyof Retention, unknown>>;
}

/** PUT: creates the policy (the path names it) or changes its schedule and retention. */
export async function putBackupPolicy(ctx: ArmContext): Promise<Response> {
  const { vault, name, policy } = await policyOfPath(ctx);
  const settings = settingsOfBody(await jsonBody(ctx));
  // A policy PUT is BadRequest whatever the policy's rules refused (its name, its values, the vault's state).
  await withRefusals<unknown>(
    policy
      ? updatePolicyOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, policyId: policy.id, ...settings })
      : createPolicyOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, name, ...settings }),
    (err) => (err.code === 'forbidden' ? err : new PortalError('invalid', err.message)),
  );
  const saved = await findPolicy(ctx.svc.db, vault.id, { name });
  return Response.json(policyResource(vault, saved!));
}

/** DELETE: done at once (200, no long-running operation); refused for DefaultPolicy and a policy items follow. */
export async function deleteBackupPolicy(ctx: ArmContext): Promise<Response> {
  const { vault, policy } = await policyOfPath(ctx);
  if (!policy) return new Response(null, { status: 204 });
  // A policy DELETE is a Conflict whatever the policy's rules refused (DefaultPolicy, items that follow it).
  await withRefusals(deletePolicyOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, policyId: policy.id }), (err) =>
    err.code === 'forbidden' ? err : new PortalError('conflict', err.message),
  );
  return new Response(null, { status: 200 });
}

/** backupJobs/{job}/cancel, as jobCancellations.trigger sends it: 202 once the job is being cancelled. */
export async function cancelBackupJob(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  const jobName = ctx.params.jobName!;
  await withRefusals(cancelJobOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, jobId: jobName }), (err) =>
    err.code === 'not_found'
      ? notFound(`The job '${jobName}' was not found in the backup vault '${vault.name}'.`)
      : err,
  );
  return new Response(null, { status: 202 });
}
