import 'server-only';
import { eq } from 'drizzle-orm';
import { backupKeys } from '@/db/schema';
import { parseWrappedVaultKey } from '@/lib/backup-format/wrap';
import { PortalError } from '@/lib/errors';
import type { AuthenticatedMachine } from '@/lib/registration/machine';
import type { Services } from '@/lib/services';
import type { KeyResponse } from '@/wire/protocol';

/**
 * Records a machine's wrapped vault key. The portal checks only its shape: it cannot open it, which is the point. A
 * machine sends its key once; sending the same wrapped key again (a retry after a lost answer) gives the same id.
 */
export async function registerWrappedKey(
  svc: Services,
  machine: AuthenticatedMachine,
  wrappedKey: unknown,
): Promise<KeyResponse> {
  let wrapped: ReturnType<typeof parseWrappedVaultKey>;
  try {
    wrapped = parseWrappedVaultKey(wrappedKey);
  } catch (error) {
    throw new PortalError('invalid', `The wrapped vault key is not valid: ${(error as Error).message}`);
  }
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
