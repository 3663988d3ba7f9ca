/** The alerts' names and severities as the ALERTS tab, the emails and the webhooks show them. Isomorphic. */
export const ALERT_KINDS = {
  BackupFailure: { label: 'Backup failure', severity: 'Critical' },
  RestoreFailure: { label: 'Restore failure', severity: 'Critical' },
  BackupDataDeleted: { label: 'Backup data deleted', severity: 'Critical' },
  NoRecentBackup: { label: 'No recent backup', severity: 'Critical' },
  BackupWarnings: { label: 'Backup completed with warnings', severity: 'Warning' },
  BackupDataDamaged: { label: 'Backup data damaged', severity: 'Critical' },
} as const;
export type AlertKind = keyof typeof ALERT_KINDS;

export const ALERT_SEVERITIES = ['Critical', 'Warning'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_NOTIFY = { PerAlert: 'Per alert', HourlyDigest: 'Hourly digest' } as const;
export type AlertNotify = keyof typeof ALERT_NOTIFY;

/** The ALERTS tab's Status filter: Active by default. */
export const ALERT_STATUS_FILTERS = { active: 'Active', resolved: 'Resolved', all: 'All' } as const;
export type AlertStatusFilter = keyof typeof ALERT_STATUS_FILTERS;

export function alertStatusFilter(value: unknown): AlertStatusFilter {
  return typeof value === 'string' && value in ALERT_STATUS_FILTERS ? (value as AlertStatusFilter) : 'active';
}

/** The default and the range of a vault's "Alert when no backup for" (hours). */
export const STALE_HOURS = { default: 48, min: 1, max: 720 } as const;
