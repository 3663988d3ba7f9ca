import 'server-only';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionDone, actionOf, PortalError, violatedConstraint } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow, vaultNotReady } from './access';
import { REPLICATION, replicationMessages, type StorageReplication } from './replication';

const saveSchema = z.object({
  vaultId: z.uuid(),
  storageReplication: z.enum(['GeoRedundant', 'LocallyRedundant'], { error: 'Choose a storage replication.' }),
});

/** Storage replication can be chosen until the first registration locks it, while the vault is not going away. */
export const CONFIGURABLE_STATES = ['Creating', 'Active'] as const;

/** Configure's SAVE: saveStorageReplicationOrThrow, each refusal as the page shows it. */
export const saveStorageReplication = actionOf(saveStorageReplicationOrThrow);

/**
 * Configure's SAVE. The lock is the database's: the update is conditional on the vault not being locked (a trigger
 * also refuses any change to a locked vault), so a save racing the first registration cannot slip through; and only
 * an update that really changed the choice records a notification.
 */
export async function saveStorageReplicationOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<{ storageReplication: StorageReplication }>> {
  const parsed = saveSchema.safeParse(input);
  if (!parsed.success) throw new PortalError('invalid', parsed.error.issues[0]!.message);
  const { vaultId, storageReplication } = parsed.data;
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'write', { states: CONFIGURABLE_STATES });

  try {
    const outcome = await withTransaction(svc.pool, async (tx) => {
      const [changed] = await tx
        .update(vaults)
        .set({ storageReplication, updatedAt: sql`portal_now()` })
        .where(
          and(
            eq(vaults.id, vault.id),
            eq(vaults.replicationLocked, false),
            inArray(vaults.status, [...CONFIGURABLE_STATES]),
            ne(vaults.storageReplication, storageReplication),
          ),
        )
        .returning({ id: vaults.id });
      if (changed) {
        await recordFinishedOperation(tx, {
          userId: user.id,
          subscriptionId: vault.subscriptionId,
          vaultId: vault.id,
          vaultName: vault.name,
          kind: 'ConfigureVault',
          message: `The storage replication of backup vault '${vault.name}' is now ${REPLICATION[storageReplication].label}.`,
        });
        return 'changed' as const;
      }
      // Nothing changed: say why. Only the message depends on this read, never a change or a notification.
      const [now] = await tx
        .select({ locked: vaults.replicationLocked, status: vaults.status, name: vaults.name })
        .from(vaults)
        .where(eq(vaults.id, vault.id));
      if (!now) return new PortalError('conflict', vaultNotReady({ name: vault.name, status: 'Deleting' }));
      if (now.locked) return new PortalError('storage_type_locked', replicationMessages.refused);
      if (!(CONFIGURABLE_STATES as readonly string[]).includes(now.status)) {
        return new PortalError('conflict', vaultNotReady(now));
      }
      return 'unchanged' as const;
    });
    if (outcome === 'changed' || outcome === 'unchanged') return { ok: true, data: { storageReplication } };
    throw outcome;
  } catch (err) {
    if (violatedConstraint(err) === 'vaults_replication_locked') {
      throw new PortalError('storage_type_locked', replicationMessages.refused);
    }
    throw err;
  }
}
