import 'server-only';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionDone, fieldRefusal, PortalError } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow, vaultNotReady } from './access';
import { CONFIGURABLE_STATES } from './redundancy';
import { vaultTagsSchema } from './validation';

const saveTagsSchema = z.object({ vaultId: z.uuid(), tags: vaultTagsSchema });

/** Replaces a vault's tags (the ARM API's PATCH); a change is recorded as an operation like any configuration. */
export async function saveVaultTagsOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<{ tags: Record<string, string> }>> {
  const parsed = saveTagsSchema.safeParse(input);
  if (!parsed.success) throw fieldRefusal('invalid_parameter', { tags: parsed.error.issues[0]!.message });
  const { vaultId, tags } = parsed.data;
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'write', { states: CONFIGURABLE_STATES });

  const changed = await withTransaction(svc.pool, async (tx) => {
    const [row] = await tx
      .update(vaults)
      .set({ tags, updatedAt: sql`portal_now()` })
      .where(
        and(
          eq(vaults.id, vault.id),
          inArray(vaults.status, [...CONFIGURABLE_STATES]),
          sql`${vaults.tags} is distinct from ${JSON.stringify(tags)}::jsonb`,
        ),
      )
      .returning({ id: vaults.id });
    if (!row) return false;
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'ConfigureVault',
      message: `The tags of backup vault '${vault.name}' have been updated.`,
    });
    return true;
  });
  if (!changed) {
    // Nothing changed: the tags were these already, or the vault left a configurable state meanwhile.
    const [now] = await svc.db.select({ status: vaults.status }).from(vaults).where(eq(vaults.id, vault.id));
    const status = now?.status ?? 'Deleting';
    if (!(CONFIGURABLE_STATES as readonly string[]).includes(status)) {
      throw new PortalError('conflict', vaultNotReady({ name: vault.name, status }));
    }
  }
  return { ok: true, data: { tags } };
}
