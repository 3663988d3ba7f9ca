import 'server-only';
import { and, desc, eq, gte, inArray, lte, sql } from 'drizzle-orm';
import { operations } from '@/db/schema';
import { itemWithPoints, listProtectedItems, type ProtectedItemRow } from '@/lib/backups/portal';
import { PortalError } from '@/lib/errors';
import { decodeCursor, encodeCursor, isUuid } from '@/lib/http/input';
import type { VaultRow } from '@/lib/vaults/queries';
import type { ArmContext } from './context';
import { notFound } from './errors';
import { vaultPath } from './resources';
import { vaultOfPath } from './vaults';

// Every item is a folder of a server with the agent: Azure's "MAB" (Microsoft Azure Backup agent) file-folder workload.
const FABRIC = 'Azure';
const BACKUP_MANAGEMENT_TYPE = 'MAB';
const WORKLOAD_TYPE = 'FileFolder';

const JOBS_PAGE_SIZE = 50;

type Kind = (typeof operations.$inferSelect)['kind'];
type Status = (typeof operations.$inferSelect)['status'];

/** The operations that are backup jobs on Azure, with Azure's names for them; vault lifecycle operations are not. */
const JOB_OPERATION: Partial<Record<Kind, string>> = {
  Register: 'Register',
  Unregister: 'UnRegister',
  Protect: 'ConfigureBackup',
  Backup: 'Backup',
  Restore: 'Restore',
  StopProtection: 'DisableBackup',
};
const JOB_KINDS = Object.keys(JOB_OPERATION) as Kind[];

const JOB_STATUS: Record<Status, string> = {
  InProgress: 'InProgress',
  Succeeded: 'Completed',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
};

const PROTECTION_STATE: Record<ProtectedItemRow['status'], string> = {
  Pending: 'IRPending',
  Protected: 'Protected',
  Stopped: 'ProtectionStopped',
};

/** `a eq 'x' and b eq 'y'`, the only $filter form the backup API documents. */
function parseFilter(filter: string | null): Map<string, string> {
  const terms = new Map<string, string>();
  if (!filter?.trim()) return terms;
  for (const part of filter.trim().split(/\s+and\s+/i)) {
    const term = /^(\w+)\s+eq\s+'([^']*)'$/i.exec(part.trim());
    if (!term) throw new PortalError('invalid', `The filter '${filter}' is not of the form name eq 'value' and ...`);
    terms.set(term[1]!.toLowerCase(), term[2]!);
  }
  return terms;
}

/** Azure's job filter times: "2026-11-22 10:00:00 AM" (UTC), or an ISO 8601 time. */
function parseTime(name: string, value: string): Date {
  const azure = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2}) ?(AM|PM)$/i.exec(value.trim());
  const date = azure
    ? new Date(
        Date.UTC(
          Number(azure[1]),
          Number(azure[2]) - 1,
          Number(azure[3]),
          (Number(azure[4]) % 12) + (azure[7]!.toUpperCase() === 'PM' ? 12 : 0),
          Number(azure[5]),
          Number(azure[6]),
        ),
      )
    : new Date(value);
  if (Number.isNaN(date.getTime())) throw new PortalError('invalid', `'${value}' is not a time for ${name}.`);
  return date;
}

/** Filters naming another kind of workload match nothing here, as on a vault with no such items. */
function otherWorkload(terms: Map<string, string>): boolean {
  const management = terms.get('backupmanagementtype');
  const workload = terms.get('workloadtype') ?? terms.get('itemtype');
  return (
    (management !== undefined && management.toLowerCase() !== BACKUP_MANAGEMENT_TYPE.toLowerCase()) ||
    (workload !== undefined && workload.toLowerCase() !== WORKLOAD_TYPE.toLowerCase())
  );
}

function isoDuration(start: Date, end: Date): string {
  return `PT${Math.max(0, (end.getTime() - start.getTime()) / 1000).toFixed(3)}S`;
}

/** The SDK's JobResource with a MabJob in it. */
function jobResource(vault: VaultRow, op: typeof operations.$inferSelect, now: Date) {
  return {
    id: `${vaultPath(vault)}/backupJobs/${op.id}`,
    name: op.id,
    type: 'Microsoft.RecoveryServices/vaults/backupJobs',
    properties: {
      jobType: 'MabJob',
      entityFriendlyName: op.itemName ?? op.serverName ?? op.vaultName,
      backupManagementType: BACKUP_MANAGEMENT_TYPE,
      operation: JOB_OPERATION[op.kind],
      status: JOB_STATUS[op.status],
      startTime: op.startedAt.toISOString(),
      ...(op.endedAt ? { endTime: op.endedAt.toISOString() } : {}),
      duration: isoDuration(op.startedAt, op.endedAt ?? now),
      activityId: op.id,
      mabServerName: op.serverName ?? undefined,
      mabServerType: 'Windows',
      workloadType: WORKLOAD_TYPE,
      ...(op.status === 'Failed' ? { errorDetails: [{ errorCode: 0, errorString: op.message }] } : {}),
      extendedInfo: {
        dynamicErrorMessage: op.status === 'Failed' ? op.message : undefined,
        propertyBag: op.dataTransferred === null ? {} : { 'Data Transferred (bytes)': String(op.dataTransferred) },
      },
    },
  };
}

function encodeJobCursor(op: { startedAt: Date; id: string }): string {
  return encodeCursor([op.startedAt.toISOString(), op.id]);
}

function decodeJobCursor(token: string | null): [Date, string] | undefined {
  if (!token) return undefined;
  const after = decodeCursor(token, ([time, id]): [Date, string] | undefined => {
    const date = new Date(time ?? '');
    return Number.isNaN(date.getTime()) || !isUuid(id) ? undefined : [date, id];
  });
  if (!after) throw new PortalError('invalid', 'The $skipToken is not one this API gave.');
  return after;
}

/** backupJobs: the vault's jobs, newest first, filtered by status, operation and start time, in pages. */
export async function listBackupJobs(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  const query = ctx.request.nextUrl.searchParams;
  const terms = parseFilter(query.get('$filter'));
  if (otherWorkload(terms)) return Response.json({ value: [] });
  const conditions = [eq(operations.vaultId, vault.id), inArray(operations.kind, JOB_KINDS)];
  for (const [name, value] of terms) {
    if (name === 'status') {
      const status = (Object.keys(JOB_STATUS) as Status[]).find(
        (s) => JOB_STATUS[s].toLowerCase() === value.toLowerCase(),
      );
      if (!status) return Response.json({ value: [] });
      conditions.push(eq(operations.status, status));
    } else if (name === 'operation') {
      const kinds = JOB_KINDS.filter((k) => JOB_OPERATION[k]!.toLowerCase() === value.toLowerCase());
      if (kinds.length === 0) return Response.json({ value: [] });
      conditions.push(inArray(operations.kind, kinds));
    } else if (name === 'starttime') {
      conditions.push(gte(operations.startedAt, parseTime('startTime', value)));
    } else if (name === 'endtime') {
      conditions.push(lte(operations.startedAt, parseTime('endTime', value)));
    } else if (!['backupmanagementtype', 'workloadtype', 'itemtype'].includes(name)) {
      throw new PortalError('invalid', `Jobs cannot be filtered by '${name}'.`);
    }
  }
  const after = decodeJobCursor(query.get('$skipToken'));
  if (after) {
    conditions.push(
      sql`(${operations.startedAt}, ${operations.id}) < (${after[0].toISOString()}::timestamptz, ${after[1]}::uuid)`,
    );
  }
  const rows = await ctx.svc.db
    .select()
    .from(operations)
    .where(and(...conditions))
    .orderBy(desc(operations.startedAt), desc(operations.id))
    .limit(JOBS_PAGE_SIZE + 1);
  const page = rows.slice(0, JOBS_PAGE_SIZE);
  const next = rows.length > JOBS_PAGE_SIZE ? encodeJobCursor(page[page.length - 1]!) : undefined;
  const params = new URLSearchParams({ 'api-version': ctx.apiVersion });
  if (query.get('$filter')) params.set('$filter', query.get('$filter')!);
  if (next) params.set('$skipToken', next);
  const now = ctx.svc.clock.now();
  return Response.json({
    value: page.map((op) => jobResource(vault, op, now)),
    ...(next ? { nextLink: `${ctx.origin}${ctx.path}?${params}` } : {}),
  });
}

export async function getBackupJob(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  const jobName = ctx.params.jobName!;
  const missing = notFound(`The job '${jobName}' was not found in the backup vault '${vault.name}'.`);
  if (!isUuid(jobName)) throw missing;
  const [op] = await ctx.svc.db
    .select()
    .from(operations)
    .where(and(eq(operations.id, jobName), eq(operations.vaultId, vault.id), inArray(operations.kind, JOB_KINDS)));
  if (!op) throw missing;
  return Response.json(jobResource(vault, op, ctx.svc.clock.now()));
}

function containerName(serverName: string): string {
  return `Windows;${serverName}`;
}

function itemName(itemId: string): string {
  return `${WORKLOAD_TYPE};${itemId}`;
}

function itemPath(vault: VaultRow, item: { id: string; serverName: string }): string {
  return `${vaultPath(vault)}/backupFabrics/${FABRIC}/protectionContainers/${encodeURIComponent(containerName(item.serverName))}/protectedItems/${encodeURIComponent(itemName(item.id))}`;
}

/** The SDK's ProtectedItemResource with a MabFileFolderProtectedItem in it. */
function protectedItemResource(vault: VaultRow, item: ProtectedItemRow) {
  return {
    id: itemPath(vault, item),
    name: itemName(item.id),
    type: 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems',
    properties: {
      protectedItemType: 'MabFileFolderProtectedItem',
      backupManagementType: BACKUP_MANAGEMENT_TYPE,
      workloadType: WORKLOAD_TYPE,
      containerName: containerName(item.serverName),
      friendlyName: item.path,
      computerName: item.serverName,
      protectionState: PROTECTION_STATE[item.status],
      ...(item.lastBackupStatus ? { lastBackupStatus: item.lastBackupStatus } : {}),
      ...(item.newestPoint
        ? { lastBackupTime: item.newestPoint.toISOString(), lastRecoveryPoint: item.newestPoint.toISOString() }
        : {}),
      extendedInfo: { recoveryPointCount: item.recoveryPoints },
    },
  };
}

/** backupProtectedItems: PROTECTED ITEMS as the SDK lists them. */
export async function listBackupProtectedItems(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  if (otherWorkload(parseFilter(ctx.request.nextUrl.searchParams.get('$filter')))) {
    return Response.json({ value: [] });
  }
  const items = await listProtectedItems(ctx.svc.db, vault.id);
  return Response.json({ value: items.map((item) => protectedItemResource(vault, item)) });
}

/** The item the path names: `FileFolder;ITEM_ID` under the container of its server, in this vault. */
async function itemOfPath(ctx: ArmContext) {
  const vault = await vaultOfPath(ctx);
  const {
    itemName: name,
    containerName: container,
    fabricName,
  } = ctx.params as { itemName: string; containerName: string; fabricName: string };
  const missing = notFound(`The protected item '${name}' was not found in the backup vault '${vault.name}'.`);
  const id = name.split(';').pop()!;
  if (fabricName.toLowerCase() !== FABRIC.toLowerCase()) throw missing;
  const item = (await listProtectedItems(ctx.svc.db, vault.id)).find((i) => i.id === id.toLowerCase());
  if (!item || containerName(item.serverName).toLowerCase() !== container.toLowerCase()) throw missing;
  return { vault, item };
}

export async function getProtectedItem(ctx: ArmContext): Promise<Response> {
  const { vault, item } = await itemOfPath(ctx);
  return Response.json(protectedItemResource(vault, item));
}

/** recoveryPoints: an item's points, newest first, as the SDK's GenericRecoveryPoint. */
async function pointsOf(ctx: ArmContext) {
  const { vault, item } = await itemOfPath(ctx);
  const withPoints = await itemWithPoints(ctx.svc.db, vault.id, item.id);
  const base = `${itemPath(vault, item)}/recoveryPoints`;
  return (withPoints?.points ?? []).map((p) => ({
    id: `${base}/${p.id}`,
    name: p.id,
    type: 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints',
    properties: {
      objectType: 'GenericRecoveryPoint',
      friendlyName: p.takenAt.toISOString(),
      recoveryPointType: 'FileSystemConsistent',
      recoveryPointTime: p.takenAt.toISOString(),
      recoveryPointAdditionalInfo: `${p.files} files, ${p.folders} folders, ${p.bytes} bytes`,
    },
  }));
}

export async function listRecoveryPoints(ctx: ArmContext): Promise<Response> {
  return Response.json({ value: await pointsOf(ctx) });
}

export async function getRecoveryPoint(ctx: ArmContext): Promise<Response> {
  const point = (await pointsOf(ctx)).find((p) => p.name === ctx.params.pointId?.toLowerCase());
  if (!point) throw notFound(`The recovery point '${ctx.params.pointId}' was not found.`);
  return Response.json(point);
}
