import 'server-only';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupKeys, recoveryPoints, registeredServers, vaults } from '@/db/schema';
import { messages as accessMessages, canWrite, subscriptionOf } from '@/lib/auth/access';
import type { PortalUser } from '@/lib/auth/users';
import { enqueuePurge } from '@/lib/backups/purge';
import type { ActionResult } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';

export const UNREGISTER_CONFIRM =
  'This operation will delete all data in the backup vault that is associated with the server. Are you sure you want to unregister the server?';

export type ServerRow = {
  id: string;
  name: string;
  reregistrationAllowed: boolean;
  lastBackupAt: Date | null;
  createdAt: Date;
};

/** A vault's registered servers by name (registered_servers_vault_name_key). */
export async function listServers(db: Database, vaultId: string): Promise<ServerRow[]> {
  return db
    .select({
      id: registeredServers.id,
      name: registeredServers.name,
      reregistrationAllowed: registeredServers.reregistrationAllowed,
      lastBackupAt: registeredServers.lastBackupAt,
      createdAt: registeredServers.createdAt,
    })
    .from(registeredServers)
    .where(eq(registeredServers.vaultId, vaultId))
    .orderBy(asc(sql`lower(${registeredServers.name})`));
}

const serverInput = z.object({ serverId: z.uuid() });

/** The server and its vault, if the vault is in a subscription the user may change; else a message. */
async function writableServer(svc: Services, user: PortalUser, input: unknown) {
  const parsed = serverInput.safeParse(input);
  const ids = user.subscriptions.map((s) => s.id);
  if (!parsed.success || ids.length === 0) return { error: 'The server was not found.' };
  const [row] = await svc.db
    .select({
      id: registeredServers.id,
      name: registeredServers.name,
      vaultId: vaults.id,
      vaultName: vaults.name,
      subscriptionId: vaults.subscriptionId,
    })
    .from(registeredServers)
    .innerJoin(vaults, eq(vaults.id, registeredServers.vaultId))
    .where(and(eq(registeredServers.id, parsed.data.serverId), inArray(vaults.subscriptionId, ids)));
  if (!row) return { error: 'The server was not found.' };
  if (!canWrite(subscriptionOf(user, row.subscriptionId))) return { error: accessMessages.readOnly };
  return { server: row };
}

/** ALLOW RE-REGISTRATION: the next registration of this name replaces the server's identity, once. */
export async function allowReregistration(svc: Services, user: PortalUser, input: unknown): Promise<ActionResult> {
  const found = await writableServer(svc, user, input);
  if (!found.server) return { ok: false, message: found.error };
  const { server } = found;
  await withTransaction(svc.pool, async (tx) => {
    await tx.update(registeredServers).set({ reregistrationAllowed: true }).where(eq(registeredServers.id, server.id));
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: server.subscriptionId,
      vaultId: server.vaultId,
      vaultName: server.vaultName,
      kind: 'AllowReregistration',
      message: `The server '${server.name}' can now register to the backup vault '${server.vaultName}' again.`,
    });
  });
  return { ok: true, data: undefined };
}

/**
 * DELETE: removes the server, its identity (its key) and its data at once; its machine is refused from then on. Its
 * items, recovery points and object index go with it (cascades); the blobs of its keys' namespaces are removed by
 * a durable job enqueued in the same transaction, since no other server's points can refer to them.
 */
export async function unregisterServer(svc: Services, user: PortalUser, input: unknown): Promise<ActionResult> {
  const found = await writableServer(svc, user, input);
  if (!found.server) return { ok: false, message: found.error };
  const { server } = found;
  const removed = await withTransaction(svc.pool, async (tx, client) => {
    const keys = await tx.select({ id: backupKeys.id }).from(backupKeys).where(eq(backupKeys.serverId, server.id));
    // Points first: their references hold the objects, which the server's deletion removes by cascade.
    await tx.delete(recoveryPoints).where(
      inArray(
        recoveryPoints.keyId,
        keys.map((k) => k.id),
      ),
    );
    const rows = await tx
      .delete(registeredServers)
      .where(eq(registeredServers.id, server.id))
      .returning({ id: registeredServers.id });
    if (rows.length === 0) return false;
    await enqueuePurge(
      svc,
      client,
      keys.map((k) => k.id),
    );
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: server.subscriptionId,
      vaultId: server.vaultId,
      vaultName: server.vaultName,
      kind: 'Unregister',
      message: `The server '${server.name}' has been unregistered from the backup vault '${server.vaultName}'.`,
    });
    return true;
  });
  return removed ? { ok: true, data: undefined } : { ok: false, message: 'The server was not found.' };
}
