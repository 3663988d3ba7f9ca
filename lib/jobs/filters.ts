/**
 * JOBS' filters as they stand in the page's URL, so a link shows the same filtered list: `status`, `operation`,
 * `from` and `to` (UTC dates, both days included) and `after` (the keyset cursor of the next page). Isomorphic.
 */

export const JOB_STATUS_FILTERS = {
  InProgress: { status: 'InProgress', label: 'In progress' },
  Completed: { status: 'Succeeded', label: 'Completed' },
  Failed: { status: 'Failed', label: 'Failed' },
  Cancelled: { status: 'Cancelled', label: 'Cancelled' },
} as const;
export type JobStatusFilter = keyof typeof JOB_STATUS_FILTERS;

/** The jobs' operations: every operation of a vault but configuration changes (notifications, not jobs). */
export const JOB_OPERATIONS = {
  Backup: 'Backup',
  Restore: 'Restore',
  Verify: 'Verify',
  VerifyStorage: 'Verify storage',
  Protect: 'Protect',
  StopProtection: 'Stop protection',
  Register: 'Register server',
  Unregister: 'Unregister server',
  AllowReregistration: 'Allow re-registration',
  CreateVault: 'Create vault',
  DeleteVault: 'Delete vault',
} as const;
export type JobOperation = keyof typeof JOB_OPERATIONS;

export type JobFilters = {
  status?: JobStatusFilter;
  operation?: JobOperation;
  from?: string;
  to?: string;
  after?: string;
};

type SearchParams = Record<string, string | string[] | undefined>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function one(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() || undefined;
}

function validDate(text: string | undefined): string | undefined {
  if (!text || !DATE.test(text)) return undefined;
  return Number.isNaN(new Date(`${text}T00:00:00Z`).getTime()) ? undefined : text;
}

/** The filters a URL asks for; values that mean nothing are dropped (the list is then unfiltered by them). */
export function parseJobFilters(params: SearchParams): JobFilters {
  const status = one(params, 'status');
  const operation = one(params, 'operation');
  const after = one(params, 'after');
  return {
    status: status && status in JOB_STATUS_FILTERS ? (status as JobStatusFilter) : undefined,
    operation: operation && operation in JOB_OPERATIONS ? (operation as JobOperation) : undefined,
    from: validDate(one(params, 'from')),
    to: validDate(one(params, 'to')),
    after: after && /^[A-Za-z0-9_-]{10,200}$/.test(after) ? after : undefined,
  };
}

/** The JOBS URL of these filters (page cursor included when given). */
export function jobsHref(vaultId: string, filters: JobFilters): string {
  const params = new URLSearchParams();
  for (const name of ['status', 'operation', 'from', 'to', 'after'] as const) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  const query = params.toString();
  return `/recovery-services/vaults/${vaultId}/jobs${query ? `?${query}` : ''}`;
}

/** The time range the From and To dates cover: from the start of From to the end of To (UTC). */
export function filterRange(filters: JobFilters): { from?: Date; toExclusive?: Date } {
  return {
    from: filters.from ? new Date(`${filters.from}T00:00:00Z`) : undefined,
    toExclusive: filters.to ? new Date(new Date(`${filters.to}T00:00:00Z`).getTime() + 86_400_000) : undefined,
  };
}
