import 'server-only';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { vaults } from '@/db/schema';
import { messages as accessMessages, canWrite, subscriptionOf } from '@/lib/auth/access';
import type { PortalUser } from '@/lib/auth/users';
import type { ActionResult } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { getVault } from './queries';
import { vaultTagsSchema } from './validation';

const saveTagsSchema = z.object({ vaultId: z.uuid(), tags: vaultTagsSchema });

/** Replaces a vault's tags (the ARM API's PATCH); a change is recorded as an operation like any configuration. */
export async function saveVaultTags(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult<{ tags: Record<string, string> }>> {
  const parsed = saveTagsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, fieldErrors: { tags: parsed.error.issues[0]!.message } };
  const { vaultId, tags } = parsed.data;
  const vault = await getVault(svc.db, user, vaultId);
  if (!vault) return { ok: false, message: accessMessages.vaultNotFound };
  if (!canWrite(subscriptionOf(user, vault.subscriptionId))) return { ok: false, message: accessMessages.readOnly };
  if (sameTags(vault.tags, tags)) return { ok: true, data: { tags } };

  await withTransaction(svc.pool, async (tx) => {
    await tx.update(vaults).set({ tags, updatedAt: sql`now()` }).where(eq(vaults.id, vault.id));
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'ConfigureVault',
      message: `The tags of backup vault '${vault.name}' have been updated.`,
    });
  });
  return { ok: true, data: { tags } };
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}
