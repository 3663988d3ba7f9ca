import { raiseDataDeleted } from '@/lib/alerts/raise';
import 'server-only';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupKeys, backupSessions, operations, protectedItems, registeredServers } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionResult, actionOf, PortalError } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import { enqueueCollect } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { failRestoresOfDeleted } from './ended-restores';
import { endSession } from './sessions';

export const PROTECTION_STATUS_TEXT = {
  Pending: 'Protected - (pending initial backup)',
  Protected: 'Protected',
  Stopped: 'Protection Stopped',
} as const;

export type ProtectedItemRow = {
  id: string;
  path: string;
  serverName: string;
  status: keyof typeof PROTECTION_STATUS_TEXT;
  recoveryPoints: number;
  newestPoint: Date | null;
  lastBackupStatus: 'Completed' | 'Failed' | 'Cancelled' | null;
  backupRequested: boolean;
  backupRunning: boolean;
  policyId: string;
  policyName: string;
  /** A recovery point of the item needs backup data that no store holds whole any more (lib/replication/verify.ts). */
  damaged: boolean;
};

/** PROTECTED ITEMS: a vault's items by folder, with their recovery points counted on recovery_points_item_idx. */
export async function listProtectedItems(db: Database, vaultId: string): Promise<ProtectedItemRow[]> {
  const { rows } = await db.execute<{
    id: string;
    path: string;
    server_name: string;
    status: ProtectedItemRow['status'];
    points: number;
    newest: string | null;
    last_backup_status: ProtectedItemRow['lastBackupStatus'];
    requested: boolean;
    running: boolean;
    policy_id: string;
    policy_name: string;
    damaged: boolean;
  }>(sql`
    select i.id, i.path, s.name as server_name, i.status, i.last_backup_status,
      i.policy_id, (select p.name from backup_policies p where p.id = i.policy_id) as policy_name,
      i.backup_requested_at is not null as requested,
      (select count(*)::int from recovery_points p where p.item_id = i.id) as points,
      (select max(p.taken_at) from recovery_points p where p.item_id = i.id) as newest,
      exists (select 1 from backup_sessions b where b.item_id = i.id and b.running) as running,
      exists (select 1 from recovery_points p where p.item_id = i.id and p.damaged_at is not null) as damaged
    from protected_items i join registered_servers s on s.id = i.server_id
    where i.vault_id = ${vaultId}
    order by i.path, s.name`);
  return rows.map((r) => ({
    id: r.id,
    path: r.path,
    serverName: r.server_name,
    status: r.status,
    recoveryPoints: r.points,
    newestPoint: r.newest ? new Date(r.newest) : null,
    lastBackupStatus: r.last_backup_status,
    backupRequested: r.requested,
    backupRunning: r.running,
    policyId: r.policy_id,
    policyName: r.policy_name,
    damaged: r.damaged,
  }));
}

const itemInput = z.object({ itemId: z.uuid() });
const stopInput = z.object({ itemId: z.uuid(), deleteData: z.boolean() });
const itemNotFound = 'The protected item was not found.';

/** The item and its vault, through the vault guard: the user may change the vault, and it is Active. */
async function writableItem(svc: Services, user: PortalUser, itemId: string) {
  const [row] = await svc.db
    .select({
      id: protectedItems.id,
      path: protectedItems.path,
      status: protectedItems.status,
      serverId: registeredServers.id,
      serverName: registeredServers.name,
      vaultId: protectedItems.vaultId,
    })
    .from(protectedItems)
    .innerJoin(registeredServers, eq(registeredServers.id, protectedItems.serverId))
    .where(eq(protectedItems.id, itemId));
  if (!row) throw new PortalError('not_found', itemNotFound);
  const { vault } = await vaultAccessOrThrow(svc.db, user, row.vaultId, 'write', {
    states: ['Active'],
    notFound: itemNotFound,
  });
  return { ...row, vaultName: vault.name, subscriptionId: vault.subscriptionId };
}

/**
 * BACKUP NOW: a Backup job appears at once, waiting for the item's agent (in `run` mode), which takes the request at
 * its next poll, within 10 seconds, and carries on this same job. A request nobody takes fails after a while.
 */
export const requestBackup = actionOf(async function requestBackup(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult> {
  const parsed = itemInput.safeParse(input);
  if (!parsed.success) return { ok: false, message: itemNotFound };
  const item = await writableItem(svc, user, parsed.data.itemId);
  const outcome = await withTransaction(svc.pool, async (tx) => {
    const [requested] = await tx
      .update(protectedItems)
      .set({ backupRequestedAt: sql`portal_now()`, backupRequestedBy: user.id })
      .where(
        and(
          eq(protectedItems.id, item.id),
          sql`${protectedItems.status} <> 'Stopped'`,
          isNull(protectedItems.backupRequestedAt),
        ),
      )
      .returning({ id: protectedItems.id });
    if (!requested) {
      const [current] = await tx
        .select({ status: protectedItems.status })
        .from(protectedItems)
        .where(eq(protectedItems.id, item.id));
      return current?.status === 'Stopped' ? 'stopped' : 'pending';
    }
    await tx.insert(operations).values({
      userId: user.id,
      subscriptionId: item.subscriptionId,
      vaultId: item.vaultId,
      vaultName: item.vaultName,
      kind: 'Backup',
      message: `Waiting for the agent on '${item.serverName}' to start the backup of '${item.path}'...`,
      itemId: item.id,
      itemName: item.path,
      serverId: item.serverId,
      serverName: item.serverName,
    });
    return 'requested';
  });
  if (outcome === 'stopped') {
    return { ok: false, message: `Protection of '${item.path}' is stopped: it cannot be backed up.` };
  }
  return {
    ok: true,
    data: undefined,
    message:
      outcome === 'requested'
        ? `A backup of '${item.path}' was requested: the agent on '${item.serverName}' starts it within 10 seconds.`
        : `A backup of '${item.path}' is already requested: the agent on '${item.serverName}' starts it within 10 seconds.`,
  };
});

/**
 * STOP PROTECTION: the item stops being backed up and keeps its recovery points; with "Delete associated backup
 * data" its points go too (and a running backup is cancelled), and garbage collection removes the objects no other
 * point needs. Either way one StopProtection operation tells the user.
 */
export const stopProtection = actionOf(async function stopProtection(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult> {
  const parsed = stopInput.safeParse(input);
  if (!parsed.success) return { ok: false, message: itemNotFound };
  const item = await writableItem(svc, user, parsed.data.itemId);
  const { deleteData } = parsed.data;
  const done = await withTransaction(svc.pool, async (tx, client) => {
    const [locked] = await tx
      .select({ id: protectedItems.id })
      .from(protectedItems)
      .where(eq(protectedItems.id, item.id))
      .for('update');
    if (!locked) return false;
    if (deleteData) {
      const running = await tx
        .select({ id: backupSessions.id })
        .from(backupSessions)
        .where(and(eq(backupSessions.itemId, item.id), eq(backupSessions.running, true)));
      for (const session of running) {
        await endSession(tx, session.id, 'Cancelled', 'protection was stopped and its backup data deleted.');
      }
      await failRestoresOfDeleted(
        client,
        { itemId: item.id },
        'protection was stopped and its backup data deleted, with the recovery point.',
      );
      await raiseDataDeleted(tx, [item.id], user.email);
      await tx.delete(protectedItems).where(eq(protectedItems.id, item.id));
      const keys = await tx
        .select({ id: backupKeys.id })
        .from(backupKeys)
        .where(eq(backupKeys.serverId, item.serverId));
      // The deleted points were committed, not in flight: their objects need no grace period.
      await enqueueCollect(
        svc,
        client,
        keys.map((k) => k.id),
        0,
      );
    } else {
      await tx
        .update(protectedItems)
        .set({ status: 'Stopped', backupRequestedAt: null, backupRequestedBy: null })
        .where(eq(protectedItems.id, item.id));
    }
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: item.subscriptionId,
      vaultId: item.vaultId,
      vaultName: item.vaultName,
      kind: 'StopProtection',
      message: deleteData
        ? `Protection of '${item.path}' on '${item.serverName}' has been stopped and its backup data deleted.`
        : `Protection of '${item.path}' on '${item.serverName}' has been stopped; its recovery points are kept.`,
    });
    return true;
  });
  return done ? { ok: true, data: undefined } : { ok: false, message: itemNotFound };
});

const uuid = z.uuid();

/** An item of this vault with its recovery points, newest first; null when the id names nothing here. */
export async function itemWithPoints(db: Database, vaultId: string, itemId: string) {
  if (!uuid.safeParse(itemId).success) return null;
  const { rows: items } = await db.execute<{ id: string; path: string; server_name: string }>(sql`
    select i.id, i.path, s.name as server_name from protected_items i
    join registered_servers s on s.id = i.server_id
    where i.id = ${itemId} and i.vault_id = ${vaultId}`);
  const item = items[0];
  if (!item) return null;
  const { rows: points } = await db.execute<{
    id: string;
    taken_at: string;
    files: number;
    folders: number;
    bytes: string;
  }>(sql`select id, taken_at, files, folders, bytes from recovery_points
    where item_id = ${itemId} order by taken_at desc, id desc limit 500`);
  return {
    id: item.id,
    path: item.path,
    serverName: item.server_name,
    points: points.map((p) => ({
      id: p.id,
      takenAt: new Date(p.taken_at),
      files: p.files,
      folders: p.folders,
      bytes: Number(p.bytes),
    })),
  };
}
