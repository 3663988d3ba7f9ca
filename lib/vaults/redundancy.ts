import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { vaults } from '@/db/schema';
import { messages as accessMessages, canWrite, subscriptionOf } from '@/lib/auth/access';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionResult, violatedConstraint } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { getVault } from './queries';
import { REPLICATION, replicationMessages, type StorageReplication } from './replication';

const saveSchema = z.object({
  vaultId: z.uuid(),
  storageReplication: z.enum(['GeoRedundant', 'LocallyRedundant'], { error: 'Choose a storage replication.' }),
});

/**
 * Configure's SAVE. The lock is the database's: the update is conditional on the vault not being locked, and a trigger
 * refuses any change to a locked vault, so a save racing the first registration cannot slip through.
 */
export async function saveStorageReplication(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult<{ storageReplication: StorageReplication }>> {
  const parsed = saveSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message };
  const { vaultId, storageReplication } = parsed.data;
  const vault = await getVault(svc.db, user, vaultId);
  if (!vault) return { ok: false, message: accessMessages.vaultNotFound };
  if (!canWrite(subscriptionOf(user, vault.subscriptionId))) return { ok: false, message: accessMessages.readOnly };

  try {
    const saved = await withTransaction(svc.pool, async (tx) => {
      const [row] = await tx
        .update(vaults)
        .set({ storageReplication, updatedAt: sql`now()` })
        .where(and(eq(vaults.id, vault.id), eq(vaults.replicationLocked, false)))
        .returning({ id: vaults.id });
      if (!row) return false;
      if (storageReplication !== vault.storageReplication) {
        await recordFinishedOperation(tx, {
          userId: user.id,
          subscriptionId: vault.subscriptionId,
          vaultId: vault.id,
          vaultName: vault.name,
          kind: 'ConfigureVault',
          message: `The storage replication of backup vault '${vault.name}' is now ${REPLICATION[storageReplication].label}.`,
        });
      }
      return true;
    });
    return saved ? { ok: true, data: { storageReplication } } : { ok: false, message: replicationMessages.refused };
  } catch (err) {
    if (violatedConstraint(err) === 'vaults_replication_locked')
      return { ok: false, message: replicationMessages.refused };
    throw err;
  }
}
