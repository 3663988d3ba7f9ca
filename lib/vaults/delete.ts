import 'server-only';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { withTransaction } from '@/db/client';
import { operations, registeredServers, vaults } from '@/db/schema';
import { messages as accessMessages, canWrite, subscriptionOf } from '@/lib/auth/access';
import type { PortalUser } from '@/lib/auth/users';
import type { ActionResult } from '@/lib/errors';
import { QUEUES, sendInTransaction } from '@/lib/operations/boss';
import type { Services } from '@/lib/services';
import { getVault } from './queries';
import { deleteVaultSchema } from './validation';

export const deleteMessages = {
  registered: 'The backup vault cannot be deleted while servers are registered to it. Unregister them first.',
  busy: (name: string) => `The backup vault '${name}' cannot be deleted while it is being created or deleted.`,
} as const;

/**
 * Marks the vault Deleting and enqueues its removal. The conditional update is the rule: only an Active or Failed
 * vault with no registered server can start deleting, whatever raced with this request.
 */
export async function deleteVault(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult<{ operationId: string }>> {
  const parsed = deleteVaultSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message };
  const { vaultId, reason } = parsed.data;
  const vault = await getVault(svc.db, user, vaultId);
  if (!vault) return { ok: false, message: accessMessages.vaultNotFound };
  if (!canWrite(subscriptionOf(user, vault.subscriptionId))) return { ok: false, message: accessMessages.readOnly };

  const result = await withTransaction(svc.pool, async (tx, client) => {
    const [marked] = await tx
      .update(vaults)
      .set({ status: 'Deleting', updatedAt: sql`now()` })
      .where(
        and(
          eq(vaults.id, vault.id),
          inArray(vaults.status, ['Active', 'Failed']),
          sql`not exists (select 1 from ${registeredServers} where ${registeredServers.vaultId} = ${vaults.id})`,
        ),
      )
      .returning({ id: vaults.id });
    if (!marked) return undefined;
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
    return operation!.id;
  });
  if (result) {
    console.info(`vault ${vault.id} ('${vault.name}') deletion requested by ${user.id}: ${reason}`);
    return { ok: true, data: { operationId: result } };
  }
  const [servers] = await svc.db
    .select({ n: sql<number>`count(*)::int` })
    .from(registeredServers)
    .where(eq(registeredServers.vaultId, vault.id));
  return { ok: false, message: servers && servers.n > 0 ? deleteMessages.registered : deleteMessages.busy(vault.name) };
}
