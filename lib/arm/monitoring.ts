import 'server-only';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { PortalError } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow, vaultNotReady } from '@/lib/vaults/access';
import type { VaultRow } from '@/lib/vaults/queries';
import { CONFIGURABLE_STATES } from '@/lib/vaults/redundancy';
import { type AlertsState, alertsState, type MonitoringState } from './resources';

const STATES = ['Enabled', 'Disabled'] as const;

/** Enabled or Disabled, in any case as Azure takes them; answered in Azure's case. */
const alertsStateSchema = z.unknown().transform((value, ctx): AlertsState => {
  const state = STATES.find((s) => typeof value === 'string' && s.toLowerCase() === value.toLowerCase());
  if (state) return state;
  ctx.addIssue({
    code: 'custom',
    message: `The value ${JSON.stringify(value)} is not an alerts state: use Enabled or Disabled.`,
  });
  return z.NEVER;
});

/**
 * A vault's `properties.monitoringSettings` (see MonitoringState) as PUT and PATCH take it: each part optional, as the
 * SDK's MonitoringSettings model has it; its other fields (Site Recovery's) are ignored.
 */
export const monitoringSettingsSchema = z.object({
  azureMonitorAlertSettings: z.object({ alertsForAllJobFailures: alertsStateSchema.optional() }).optional(),
  classicAlertSettings: z.object({ alertsForCriticalOperations: alertsStateSchema.optional() }).optional(),
});

export type MonitoringSettingsInput = z.infer<typeof monitoringSettingsSchema>;

const stateColumns = {
  id: vaults.id,
  jobFailures: vaults.alertJobFailures,
  critical: sql<boolean>`'Critical' = any(${vaults.alertSeverities})`,
};

/** The monitoring settings of these vaults, by id (one query for a list's page). */
export async function monitoringStates(db: Database, vaultIds: string[]): Promise<Map<string, MonitoringState>> {
  if (vaultIds.length === 0) return new Map();
  const rows = await db.select(stateColumns).from(vaults).where(inArray(vaults.id, vaultIds));
  return new Map(rows.map(({ id, ...state }) => [id, state]));
}

/**
 * Saves what a PUT or PATCH gave of the monitoring settings; the rest stays as it is. Turning Critical on or off keeps
 * Warning as it was, in the severities' own order. One conditional update decides (no read before the write), and
 * only an update that changed something records a configuration operation, as tags and storage replication do.
 */
export async function saveMonitoringSettingsOrThrow(
  svc: Services,
  user: PortalUser,
  target: Pick<VaultRow, 'id'>,
  input: MonitoringSettingsInput,
): Promise<void> {
  const jobFailures = input.azureMonitorAlertSettings?.alertsForAllJobFailures;
  const critical = input.classicAlertSettings?.alertsForCriticalOperations;
  if (jobFailures === undefined && critical === undefined) return;
  const { vault } = await vaultAccessOrThrow(svc.db, user, target.id, 'write', { states: CONFIGURABLE_STATES });
  const wantJobFailures = jobFailures === undefined ? undefined : jobFailures === 'Enabled';
  const wantCritical = critical === undefined ? undefined : critical === 'Enabled';

  const changed = await withTransaction(svc.pool, async (tx) => {
    const differs = [
      wantJobFailures === undefined ? undefined : sql`${vaults.alertJobFailures} <> ${wantJobFailures}`,
      wantCritical === undefined ? undefined : sql`('Critical' = any(${vaults.alertSeverities})) <> ${wantCritical}`,
    ].filter((c) => c !== undefined);
    const [row] = await tx
      .update(vaults)
      .set({
        ...(wantJobFailures === undefined ? {} : { alertJobFailures: wantJobFailures }),
        ...(wantCritical === undefined
          ? {}
          : {
              alertSeverities: sql`array(select s from unnest(enum_range(null::alert_severity)) s
                where case when s = 'Critical' then ${wantCritical}::boolean else s = any(${vaults.alertSeverities}) end)`,
            }),
        alertSettingsAt: sql`portal_now()`,
        updatedAt: sql`portal_now()`,
      })
      .where(
        and(
          eq(vaults.id, vault.id),
          inArray(vaults.status, [...CONFIGURABLE_STATES]),
          sql`(${sql.join(differs, sql` or `)})`,
        ),
      )
      .returning({ jobFailures: stateColumns.jobFailures, critical: stateColumns.critical });
    if (!row) return false;
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'ConfigureVault',
      message: `The monitoring settings of backup vault '${vault.name}' have been updated: alerts for job failures ${alertsState(row.jobFailures)}, alerts for critical operations ${alertsState(row.critical)}.`,
    });
    return true;
  });
  if (!changed) {
    // Nothing changed: the settings were these already, or the vault left a configurable state meanwhile.
    const [now] = await svc.db.select({ status: vaults.status }).from(vaults).where(eq(vaults.id, vault.id));
    const status = now?.status ?? 'Deleting';
    if (!(CONFIGURABLE_STATES as readonly string[]).includes(status)) {
      throw new PortalError('conflict', vaultNotReady({ name: vault.name, status }));
    }
  }
}
