import 'server-only';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupPolicies, DEFAULT_POLICY_NAME, protectedItems, registeredServers } from '@/db/schema';
import { PortalError } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { AuthenticatedMachine } from '@/lib/registration/machine';
import { nextRunAfter, type Schedule } from '@/lib/schedule';
import type { Services } from '@/lib/services';
import type { ItemsRequest, ItemsResponse, ItemView, PointsResponse } from '@/wire/protocol';
import { AGENT_MESSAGES } from '@/wire/protocol';
import { pendingRestores } from './pending-restores';

/** A folder as the agent saw it: an absolute POSIX or Windows path, as the item's name. */
export const itemPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'must be an absolute path');

const itemsRequestSchema = z.object({
  action: z.enum(['protect', 'unprotect']),
  paths: z.array(itemPathSchema).min(1).max(100),
});

const itemColumns = {
  id: protectedItems.id,
  path: protectedItems.path,
  status: protectedItems.status,
  lastBackupAt: protectedItems.lastBackupAt,
  backupRequestedAt: protectedItems.backupRequestedAt,
  createdAt: protectedItems.createdAt,
  policyAssignedAt: protectedItems.policyAssignedAt,
  policyName: backupPolicies.name,
  frequency: backupPolicies.frequency,
  runDays: backupPolicies.runDays,
  runTimes: backupPolicies.runTimes,
  policyUpdatedAt: backupPolicies.updatedAt,
  lastStartedAt: sql<string | null>`(select max(s.started_at) from backup_sessions s
    where s.item_id = protected_items.id)`,
};

type ItemRow = {
  id: string;
  path: string;
  status: ItemView['status'];
  lastBackupAt: Date | null;
  backupRequestedAt: Date | null;
  createdAt: Date;
  policyAssignedAt: Date;
  policyName: string;
  frequency: Schedule['frequency'];
  runDays: number[];
  runTimes: number[];
  policyUpdatedAt: Date;
  lastStartedAt: string | null;
};

/**
 * An item as the agent sees it, with its schedule's next run: the first after the latest of the item's last backup
 * start, its protection and its policy's last change. A run the agent missed (it was stopped) is in the past, so
 * the agent runs it once when it comes back; the backup it starts moves the next run past now.
 */
function itemView(row: ItemRow): ItemView {
  const schedule: Schedule = { frequency: row.frequency, days: row.runDays, times: row.runTimes };
  const since = Math.max(
    row.createdAt.getTime(),
    row.policyAssignedAt.getTime(),
    row.policyUpdatedAt.getTime(),
    row.lastStartedAt ? new Date(row.lastStartedAt).getTime() : 0,
  );
  return {
    id: row.id,
    path: row.path,
    status: row.status,
    lastBackupAt: row.lastBackupAt?.toISOString() ?? null,
    backupRequested: row.backupRequestedAt !== null,
    policyName: row.policyName,
    schedule,
    nextBackupAt: row.status === 'Stopped' ? null : nextRunAfter(schedule, new Date(since)).toISOString(),
  };
}

function selectItems(db: Database) {
  return db
    .select(itemColumns)
    .from(protectedItems)
    .innerJoin(backupPolicies, eq(backupPolicies.id, protectedItems.policyId));
}

/** The machine's protected items, by path. */
export async function machineItems(svc: Services, machine: AuthenticatedMachine): Promise<ItemsResponse> {
  const rows = await selectItems(svc.db)
    .where(eq(protectedItems.serverId, machine.id))
    .orderBy(asc(protectedItems.path));
  return { items: rows.map(itemView), restoreRequests: await pendingRestores(svc, machine.id) };
}

/**
 * `protect` records folders as protected items (pending their first backup); protecting a stopped item resumes it.
 * `unprotect` stops protection and keeps the recovery points. Each is one operation in the vault's history.
 */
export async function changeProtection(
  svc: Services,
  machine: AuthenticatedMachine,
  body: unknown,
): Promise<ItemsResponse> {
  const parsed = itemsRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new PortalError('invalid', `The folder list is not valid: ${parsed.error.issues[0]?.message}.`);
  }
  const { action, paths } = parsed.data as ItemsRequest;
  return withTransaction(svc.pool, async (tx) => {
    if (action === 'protect') {
      await tx
        .insert(protectedItems)
        .values(
          paths.map((path) => ({
            vaultId: machine.vaultId,
            serverId: machine.id,
            path,
            policyId: sql`(select id from backup_policies where vault_id = ${machine.vaultId} and name = ${DEFAULT_POLICY_NAME})`,
          })),
        )
        .onConflictDoUpdate({
          target: [protectedItems.serverId, protectedItems.path],
          set: {
            status: sql`case when ${protectedItems.status} = 'Stopped' then
              (case when ${protectedItems.lastBackupStatus} = 'Completed' then 'Protected' else 'Pending' end)::protection_status
              else ${protectedItems.status} end`,
          },
        });
    } else {
      const found = await tx
        .update(protectedItems)
        .set({ status: 'Stopped', backupRequestedAt: null })
        .where(and(eq(protectedItems.serverId, machine.id), inArray(protectedItems.path, paths)))
        .returning({ path: protectedItems.path });
      const missing = paths.find((p) => !found.some((f) => f.path === p));
      if (missing) throw new PortalError('not_found', AGENT_MESSAGES.notProtected(missing));
    }
    const names = paths.map((p) => `'${p}'`).join(', ');
    await recordFinishedOperation(tx, {
      userId: null,
      subscriptionId: machine.subscriptionId,
      vaultId: machine.vaultId,
      vaultName: machine.vaultName,
      kind: action === 'protect' ? 'Protect' : 'StopProtection',
      message:
        action === 'protect'
          ? `The server '${machine.name}' now protects ${names}.`
          : `Protection of ${names} on '${machine.name}' has been stopped; the recovery points are kept.`,
    });
    const rows = await selectItems(tx)
      .where(and(eq(protectedItems.serverId, machine.id), inArray(protectedItems.path, paths)))
      .orderBy(asc(protectedItems.path));
    return { items: rows.map(itemView) };
  });
}

/** The item of this machine at this path, or the contract's refusal. */
export async function machineItem(svc: Services, machine: AuthenticatedMachine, path: unknown) {
  const parsed = itemPathSchema.safeParse(path);
  if (!parsed.success) throw new PortalError('invalid', 'The folder must be an absolute path.');
  const [item] = await svc.db
    .select({
      id: protectedItems.id,
      path: protectedItems.path,
      status: protectedItems.status,
      serverName: registeredServers.name,
    })
    .from(protectedItems)
    .innerJoin(registeredServers, eq(registeredServers.id, protectedItems.serverId))
    .where(and(eq(protectedItems.serverId, machine.id), eq(protectedItems.path, parsed.data)));
  if (!item) throw new PortalError('not_found', AGENT_MESSAGES.notProtected(parsed.data));
  return item;
}

/** The recovery points of one of the machine's items, newest first. */
export async function machinePoints(
  svc: Services,
  machine: AuthenticatedMachine,
  path: unknown,
): Promise<PointsResponse> {
  const item = await machineItem(svc, machine, path);
  const { rows } = await svc.pool.query<{
    id: string;
    taken_at: Date;
    files: number;
    folders: number;
    bytes: string;
  }>(
    'select id, taken_at, files, folders, bytes from recovery_points where item_id = $1 order by taken_at desc, id desc',
    [item.id],
  );
  return {
    points: rows.map((r) => ({
      id: r.id,
      takenAt: r.taken_at.toISOString(),
      files: r.files,
      folders: r.folders,
      bytes: Number(r.bytes),
    })),
  };
}
