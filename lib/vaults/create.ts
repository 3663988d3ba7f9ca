import 'server-only';
import { withTransaction } from '@/db/client';
import { operations, vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionDone, actionOf, fieldRefusal, PortalError, violatedConstraint } from '@/lib/errors';
import { QUEUES, sendInTransaction } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { subscriptionAccessOrThrow } from './access';
import { createVaultSchema, messages } from './validation';

export type CreatedVault = { vaultId: string; operationId: string; name: string };

/** Quick create's CREATE: createVaultOrThrow, each refusal as the form shows it. */
export const createVault = actionOf(createVaultOrThrow);

/**
 * Quick create: records the vault (Creating) and its operation and enqueues provisioning, all in one transaction.
 * Uniqueness and the 25-vault limit are the database's constraints; their violations become the contract's messages.
 */
export async function createVaultOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<CreatedVault>> {
  const parsed = createVaultSchema.safeParse(input);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) fieldErrors[String(issue.path[0])] ??= issue.message;
    throw fieldRefusal(fieldErrors.name ? 'invalid_name' : 'invalid_parameter', fieldErrors);
  }
  const { name, region, resourceGroup, tags } = parsed.data;
  const subscriptionId =
    parsed.data.subscriptionId ?? (user.subscriptions.length === 1 ? user.subscriptions[0]!.id : undefined);
  const access = subscriptionAccessOrThrow(user, subscriptionId, 'write', {
    notFound: fieldRefusal('not_found', { subscriptionId: messages.subscription }),
  });

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
      throw fieldRefusal('conflict', { name: messages.duplicate(name) });
    if (constraint === 'subscriptions_vault_limit') throw new PortalError('quota_exceeded', messages.limit);
    throw err;
  }
}
