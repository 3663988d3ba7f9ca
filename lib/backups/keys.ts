import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import { withTransaction } from '@/db/client';
import { backupKeys } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import { parseWrappedVaultKey } from '@/lib/backup-format/wrap';
import { PortalError } from '@/lib/errors';
import { isUuid } from '@/lib/http/input';
import type { AuthenticatedMachine } from '@/lib/registration/machine';
import type { Services } from '@/lib/services';
import type { KeyRequest, KeyResponse } from '@/wire/protocol';

/**
 * Records a machine's wrapped vault key. The portal checks only its shape: it cannot open it, which is the point. A
 * machine sends its key once; sending the same wrapped key again (a retry after a lost answer) gives the same id.
 * With `replaces`, the machine changed its passphrase: see replaceWrappedKey.
 */
export async function registerWrappedKey(
  svc: Services,
  machine: AuthenticatedMachine,
  wrappedKey: unknown,
  replaces?: KeyRequest['replaces'],
): Promise<KeyResponse> {
  if (replaces !== undefined) return replaceWrappedKey(svc, machine, replaces, wrappedKey);
  const wrapped = validWrapping(wrappedKey);
  const known = await svc.db
    .select({ id: backupKeys.id, wrappedKey: backupKeys.wrappedKey })
    .from(backupKeys)
    .where(eq(backupKeys.serverId, machine.id));
  const same = known.find((k) => JSON.stringify(k.wrappedKey) === JSON.stringify(wrapped));
  if (same) return { keyId: same.id };
  const [row] = await svc.db
    .insert(backupKeys)
    .values({ vaultId: machine.vaultId, serverId: machine.id, wrappedKey: wrapped })
    .returning({ id: backupKeys.id });
  return { keyId: row!.id };
}

/**
 * change-passphrase: the machine's own key `keyId` gets a new wrapping (the same vault key under the new passphrase),
 * only while `replaces.wrappedKey` is still its current one. The update is conditional in the database, so two
 * changes cannot interleave: the second finds the first's wrapping and is refused. The old wrapping is overwritten,
 * not kept: the browser and other machines' restores get only the new one. Sending the change again after a lost
 * answer finds the new wrapping in place and gets the same answer.
 */
export async function replaceWrappedKey(
  svc: Services,
  machine: AuthenticatedMachine,
  replaces: unknown,
  wrappedKey: unknown,
): Promise<KeyResponse> {
  const wrapped = validWrapping(wrappedKey);
  const { keyId, wrappedKey: previous } = (replaces ?? {}) as { keyId?: unknown; wrappedKey?: unknown };
  if (typeof keyId !== 'string' || !isUuid(keyId)) throw new PortalError('invalid', 'The key to replace is not valid.');
  const old = validWrapping(previous);
  return withTransaction(svc.pool, async (tx) => {
    const mine = and(eq(backupKeys.id, keyId), eq(backupKeys.serverId, machine.id));
    const [updated] = await tx
      .update(backupKeys)
      .set({ wrappedKey: wrapped })
      .where(and(mine, sql`${backupKeys.wrappedKey} = ${JSON.stringify(old)}::jsonb`))
      .returning({ id: backupKeys.id });
    if (!updated) {
      // Compared by the database: jsonb keeps its own key order, so the stored text need not match the sent one.
      const [current] = await tx
        .select({ same: sql<boolean>`${backupKeys.wrappedKey} = ${JSON.stringify(wrapped)}::jsonb` })
        .from(backupKeys)
        .where(mine);
      if (!current) throw new PortalError('not_found', 'This machine has no such vault key on the portal.');
      if (current.same) return { keyId };
      throw new PortalError(
        'conflict',
        'The passphrase was changed meanwhile: nothing was changed. Run change-passphrase again with the current passphrase.',
      );
    }
    await logChange(tx, {
      actor: { id: null, email: `server ${machine.name}` },
      subscriptionId: machine.subscriptionId,
      vault: { id: machine.vaultId, name: machine.vaultName },
      category: 'Security',
      operation: 'Change passphrase',
      target: machine.name,
      detail: `The server '${machine.name}' changed the passphrase of its backups: its vault key is wrapped again, the old passphrase no longer opens them.`,
    });
    return { keyId };
  });
}

function validWrapping(value: unknown): ReturnType<typeof parseWrappedVaultKey> {
  try {
    return parseWrappedVaultKey(value);
  } catch (error) {
    throw new PortalError('invalid', `The wrapped vault key is not valid: ${(error as Error).message}`);
  }
}
