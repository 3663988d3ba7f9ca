import 'server-only';
import { eq, sql } from 'drizzle-orm';
import { withTransaction } from '@/db/client';
import { operations, registeredServers, vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionDone, actionOf, PortalError } from '@/lib/errors';
import { QUEUES, sendInTransaction } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from './access';
import { deleteVaultSchema } from './validation';

export const deleteMessages = {
  registered: 'The backup vault cannot be deleted while servers are registered to it. Unregister them first.',
  busy: (name: string) => `The backup vault '${name}' cannot be deleted while it is being created or deleted.`,
} as const;

/** The Dashboard's DELETE: deleteVaultOrThrow, each refusal as the form shows it. */
export const deleteVault = actionOf(deleteVaultOrThrow);

/**
 * Marks the vault Deleting and enqueues its removal: only an Active or Failed vault with no registered server can
 * start deleting, decided under the vault's row lock, so a registration racing this request either lands first (and
 * the delete is refused) or finds the vault Deleting (and is refused).
 */
export async function deleteVaultOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<{ operationId: string }>> {
  const parsed = deleteVaultSchema.safeParse(input);
  if (!parsed.success) throw new PortalError('invalid', parsed.error.issues[0]!.message);
  const { vaultId, reason } = parsed.data;
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'write');

  const result = await withTransaction(svc.pool, async (tx, client) => {
    // The vault's row lock first: a registration holds it while it inserts its server, so once we have it, the
    // servers query below (a new statement, hence a new snapshot) sees every server that will ever have registered.
    const [locked] = await tx
      .select({ status: vaults.status })
      .from(vaults)
      .where(eq(vaults.id, vault.id))
      .for('update');
    if (!locked || (locked.status !== 'Active' && locked.status !== 'Failed')) return 'busy' as const;
    const [server] = await tx
      .select({ id: registeredServers.id })
      .from(registeredServers)
      .where(eq(registeredServers.vaultId, vault.id))
      .limit(1);
    if (server) return 'registered' as const;
    await tx.update(vaults).set({ status: 'Deleting', updatedAt: sql`portal_now()` }).where(eq(vaults.id, vault.id));
    const [operation] = await tx
      .insert(operations)
      .values({
        userId: user.id,
        subscriptionId: vault.subscriptionId,
        vaultId: vault.id,
        vaultName: vault.name,
        kind: 'DeleteVault',
        message: `Deleting backup vault '${vault.name}'...`,
      })
      .returning({ id: operations.id });
    await sendInTransaction(svc.boss, client, QUEUES.deleteVault, { operationId: operation!.id });
    return { operationId: operation!.id };
  });
  if (result === 'busy') throw new PortalError('conflict', deleteMessages.busy(vault.name));
  if (result === 'registered') throw new PortalError('not_empty', deleteMessages.registered);
  console.info(`vault ${vault.id} ('${vault.name}') deletion requested by ${user.id}: ${reason}`);
  return { ok: true, data: result };
}
