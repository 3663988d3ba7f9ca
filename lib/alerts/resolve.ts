import 'server-only';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { alerts } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionDone, actionOf, PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { ALERT_KINDS } from './kinds';

const schema = z.object({
  vaultId: z.uuid(),
  alertIds: z
    .array(z.uuid(), { error: 'Select the alerts to resolve.' })
    .min(1, 'Select the alerts to resolve.')
    .max(500),
});

export const resolveAlerts = actionOf(resolveAlertsOrThrow);

/**
 * The ALERTS tab's RESOLVE (Contributor or Owner): the chosen alerts of this vault that are still Active become
 * Resolved, each with an entry in the operation logs. Alerts of another vault, or already resolved, are untouched.
 */
export async function resolveAlertsOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<{ resolved: number }>> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new PortalError('invalid', parsed.error.issues[0]!.message);
  const { vault } = await vaultAccessOrThrow(svc.db, user, parsed.data.vaultId, 'write');
  const resolved = await withTransaction(svc.pool, async (tx) => {
    const rows = await tx
      .update(alerts)
      .set({ status: 'Resolved', resolvedAt: sql`portal_now()`, resolvedBy: user.id })
      .where(and(eq(alerts.vaultId, vault.id), eq(alerts.status, 'Active'), inArray(alerts.id, parsed.data.alertIds)))
      .returning({ kind: alerts.kind, itemName: alerts.itemName, serverName: alerts.serverName });
    for (const row of rows) {
      await logChange(tx, {
        actor: user,
        subscriptionId: vault.subscriptionId,
        vault: { id: vault.id, name: vault.name },
        category: 'Alerts',
        operation: 'Resolve alert',
        target: `${ALERT_KINDS[row.kind].label}: ${row.itemName} on ${row.serverName}`,
      });
    }
    return rows.length;
  });
  if (resolved === 0) throw new PortalError('conflict', 'The selected alerts are already resolved.');
  return { ok: true, data: { resolved } };
}
