import 'server-only';
import { withTransaction } from '@/db/client';
import { operations, vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionResult, PortalError, violatedConstraint } from '@/lib/errors';
import { QUEUES, sendInTransaction } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { checkSubscriptionAccess } from './access';
import { createVaultSchema, messages } from './validation';

export type CreatedVault = { vaultId: string; operationId: string; name: string };

/**
 * Quick create: records the vault (Creating) and its operation and enqueues provisioning, all in one transaction.
 * Uniqueness and the 25-vault limit are the database's constraints; their violations become the contract's messages.
 */
export async function createVault(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult<CreatedVault>> {
  const parsed = createVaultSchema.safeParse(input);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) fieldErrors[String(issue.path[0])] ??= issue.message;
    return { ok: false, fieldErrors };
  }
  const { name, region, resourceGroup, tags } = parsed.data;
  const subscriptionId =
    parsed.data.subscriptionId ?? (user.subscriptions.length === 1 ? user.subscriptions[0]!.id : undefined);
  const access = checkSubscriptionAccess(user, subscriptionId, 'write');
  if (access instanceof PortalError) {
    return access.code === 'not_found'
      ? { ok: false, fieldErrors: { subscriptionId: messages.subscription } }
      : { ok: false, message: access.message };
  }

  try {
    const created = await withTransaction(svc.pool, async (tx, client) => {
      const [vault] = await tx
        .insert(vaults)
        .values({ subscriptionId: access.id, name, region, resourceGroup, tags, createdBy: user.id })
        .returning({ id: vaults.id });
      const [operation] = await tx
        .insert(operations)
        .values({
          userId: user.id,
          subscriptionId: access.id,
          vaultId: vault!.id,
          vaultName: name,
          kind: 'CreateVault',
          message: `Creating backup vault '${name}'...`,
        })
        .returning({ id: operations.id });
      await sendInTransaction(svc.boss, client, QUEUES.provisionVault, { operationId: operation!.id });
      return { vaultId: vault!.id, operationId: operation!.id, name };
    });
    return { ok: true, data: created };
  } catch (err) {
    const constraint = violatedConstraint(err);
    if (constraint === 'vaults_subscription_name_key')
      return { ok: false, fieldErrors: { name: messages.duplicate(name) } };
    if (constraint === 'subscriptions_vault_limit') return { ok: false, message: messages.limit };
    throw err;
  }
}
