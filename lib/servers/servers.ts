import { raiseDataDeleted } from '@/lib/alerts/raise';
import 'server-only';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupKeys, protectedItems, recoveryPoints, registeredServers } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { failRestoresOfDeleted } from '@/lib/backups/ended-restores';
import { type ActionDone, actionOf, PortalError } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import { enqueuePurge } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';

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
const serverNotFound = 'The server was not found.';

/** The server and its vault, through the vault guard: the user may change the vault, and it is Active. */
async function writableServer(svc: Services, user: PortalUser, input: unknown) {
  const parsed = serverInput.safeParse(input);
  if (!parsed.success) throw new PortalError('not_found', serverNotFound);
  const [row] = await svc.db
    .select({ id: registeredServers.id, name: registeredServers.name, vaultId: registeredServers.vaultId })
    .from(registeredServers)
    .where(eq(registeredServers.id, parsed.data.serverId));
  if (!row) throw new PortalError('not_found', serverNotFound);
  const { vault } = await vaultAccessOrThrow(svc.db, user, row.vaultId, 'write', {
    states: ['Active'],
    notFound: serverNotFound,
  });
  return { ...row, vaultName: vault.name, subscriptionId: vault.subscriptionId };
}

/** ALLOW RE-REGISTRATION: the next registration of this name replaces the server's identity, once. */
export const allowReregistration = actionOf(async (svc: Services, user: PortalUser, input: unknown) => {
  const server = await writableServer(svc, user, input);
  const allowed = await withTransaction(svc.pool, async (tx) => {
    // Only the request that flips the flag tells anyone: a repeated or racing one finds it already set.
    const [flipped] = await tx
      .update(registeredServers)
      .set({ reregistrationAllowed: true })
      .where(and(eq(registeredServers.id, server.id), eq(registeredServers.reregistrationAllowed, false)))
      .returning({ id: registeredServers.id });
    if (!flipped) {
      const [still] = await tx
        .select({ id: registeredServers.id })
        .from(registeredServers)
        .where(eq(registeredServers.id, server.id));
      return Boolean(still);
    }
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: server.subscriptionId,
      vaultId: server.vaultId,
      vaultName: server.vaultName,
      kind: 'AllowReregistration',
      message: `The server '${server.name}' can now register to the backup vault '${server.vaultName}' again.`,
    });
    return true;
  });
  if (!allowed) throw new PortalError('not_found', serverNotFound);
  return { ok: true, data: undefined } satisfies ActionDone;
});

/**
 * DELETE: removes the server, its identity (its key) and its data at once; its machine is refused from then on. Its
 * items, recovery points and object index go with it (cascades); the blobs of its keys' namespaces are removed by
 * a durable job enqueued in the same transaction, since no other server's points can refer to them.
 */
export async function unregisterServerOrThrow(svc: Services, user: PortalUser, input: unknown): Promise<ActionDone> {
  const server = await writableServer(svc, user, input);
  const removed = await withTransaction(svc.pool, async (tx, client) => {
    const keys = await tx.select({ id: backupKeys.id }).from(backupKeys).where(eq(backupKeys.serverId, server.id));
    await failRestoresOfDeleted(
      client,
      { keyIds: keys.map((k) => k.id), serverId: server.id },
      'the server was deleted, with its recovery points.',
    );
    const items = await tx
      .select({ id: protectedItems.id })
      .from(protectedItems)
      .where(eq(protectedItems.serverId, server.id));
    await raiseDataDeleted(
      tx,
      items.map((i) => i.id),
      user.email,
    );
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
  if (!removed) throw new PortalError('not_found', serverNotFound);
  return { ok: true, data: undefined };
}

/** REGISTERED ITEMS' DELETE: unregisterServerOrThrow, each refusal as the page shows it. */
export const unregisterServer = actionOf(unregisterServerOrThrow);
