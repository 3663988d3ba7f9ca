import 'server-only';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupPolicies, DEFAULT_POLICY_NAME, protectedItems, registeredServers } from '@/db/schema';
import { logChange, withoutOperationLog } from '@/lib/audit/log';
import type { PortalUser } from '@/lib/auth/users';
import {
  type ActionDone,
  type ActionResult,
  actionOf,
  fieldRefusal,
  PortalError,
  violatedConstraint,
} from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import { enqueueRetention } from '@/lib/queues';
import { describeRetention, type Retention } from '@/lib/retention/rules';
import { describeSchedule, type Schedule } from '@/lib/schedule';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import type { VaultRow } from '@/lib/vaults/queries';
import { CONFIGURABLE_STATES } from '@/lib/vaults/redundancy';
import { type PolicySettings, policyMessages, validatePolicy } from './validation';

export type PolicyRow = {
  id: string;
  name: string;
  schedule: Schedule;
  retention: Retention;
  items: number;
  isDefault: boolean;
};

export const policyRefusals = {
  notFound: 'The policy was not found.',
  inUse: (name: string, items: number) =>
    `The policy '${name}' cannot be deleted while ${items} protected item${items === 1 ? ' follows' : 's follow'} it. Choose another policy for ${items === 1 ? 'it' : 'them'} in PROTECTED ITEMS first.`,
  defaultPolicy: `${DEFAULT_POLICY_NAME} cannot be deleted: newly protected items follow it.`,
  itemNotFound: 'The protected item was not found.',
} as const;

const policyColumns = {
  id: backupPolicies.id,
  name: backupPolicies.name,
  frequency: backupPolicies.frequency,
  runDays: backupPolicies.runDays,
  runTimes: backupPolicies.runTimes,
  dailyDays: backupPolicies.dailyDays,
  weeklyWeeks: backupPolicies.weeklyWeeks,
  monthlyMonths: backupPolicies.monthlyMonths,
  yearlyYears: backupPolicies.yearlyYears,
  // Qualified by hand: drizzle leaves a lone table's columns unqualified, which the subquery would take as its own.
  items: sql<number>`(select count(*)::int from protected_items i where i.policy_id = backup_policies.id)`,
};

function policyRow(row: {
  id: string;
  name: string;
  frequency: Schedule['frequency'];
  runDays: number[];
  runTimes: number[];
  dailyDays: number | null;
  weeklyWeeks: number | null;
  monthlyMonths: number | null;
  yearlyYears: number | null;
  items: number;
}): PolicyRow {
  return {
    id: row.id,
    name: row.name,
    schedule: { frequency: row.frequency, days: row.runDays, times: row.runTimes },
    retention: {
      dailyDays: row.dailyDays,
      weeklyWeeks: row.weeklyWeeks,
      monthlyMonths: row.monthlyMonths,
      yearlyYears: row.yearlyYears,
    },
    items: row.items,
    isDefault: row.name === DEFAULT_POLICY_NAME,
  };
}

/** POLICIES: the vault's policies by name, each with the number of items that follow it. */
export async function listPolicies(db: Database, vaultId: string): Promise<PolicyRow[]> {
  const rows = await db
    .select(policyColumns)
    .from(backupPolicies)
    .where(eq(backupPolicies.vaultId, vaultId))
    .orderBy(asc(sql`lower(${backupPolicies.name})`));
  return rows.map(policyRow);
}

/** One policy of the vault, by id or (case-insensitively) by name; null when there is none. */
export async function findPolicy(
  db: Database,
  vaultId: string,
  by: { id: string } | { name: string },
): Promise<PolicyRow | null> {
  if ('id' in by && !z.uuid().safeParse(by.id).success) return null;
  const [row] = await db
    .select(policyColumns)
    .from(backupPolicies)
    .where(
      and(
        eq(backupPolicies.vaultId, vaultId),
        'id' in by ? eq(backupPolicies.id, by.id) : sql`lower(${backupPolicies.name}) = lower(${by.name})`,
      ),
    );
  return row ? policyRow(row) : null;
}

/** The vault, through the vault guard: the user may change it and it is not going away; else its refusal. */
async function writableVault(svc: Services, user: PortalUser, vaultId: unknown): Promise<VaultRow> {
  return (await vaultAccessOrThrow(svc.db, user, vaultId, 'write', { states: CONFIGURABLE_STATES })).vault;
}

function settingsColumns(settings: PolicySettings) {
  return {
    frequency: settings.schedule.frequency,
    runDays: settings.schedule.days,
    runTimes: settings.schedule.times,
    dailyDays: settings.retention.dailyDays,
    weeklyWeeks: settings.retention.weeklyWeeks,
    monthlyMonths: settings.retention.monthlyMonths,
    yearlyYears: settings.retention.yearlyYears,
  };
}

function summary(settings: PolicySettings): string {
  return `${describeSchedule(settings.schedule)}; ${describeRetention(settings.retention)}`;
}

type PolicySnapshot = { name: string; schedule: Schedule; retention: Retention };

/**
 * A policy change is a job and a notification of the vault (an operation) and one entry of the operation logs, with
 * what the policy (or the item's policy) was before and is after.
 */
async function recordPolicyChange(
  tx: Database,
  user: PortalUser,
  vault: VaultRow,
  change: { operation: string; target: string; message: string; before: unknown; after: unknown },
) {
  await withoutOperationLog(tx, () =>
    recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'ConfigureVault',
      message: change.message,
    }),
  );
  await logChange(tx, {
    actor: user,
    subscriptionId: vault.subscriptionId,
    vault,
    category: 'Policies',
    operation: change.operation,
    target: change.target,
    detail: change.message,
    before: change.before,
    after: change.after,
  });
}

function snapshot(name: string, settings: PolicySettings | PolicyRow): PolicySnapshot {
  return { name, schedule: settings.schedule, retention: settings.retention };
}

/** The forms' ADD, EDIT and DELETE: the functions below, each refusal as the form shows it (the ARM API throws). */
export const createPolicy = actionOf(createPolicyOrThrow);
export const updatePolicy = actionOf(updatePolicyOrThrow);
export const deletePolicy = actionOf(deletePolicyOrThrow);

/** ADD: a new policy of the vault. The name is unique in the vault, which the database's unique index decides. */
export async function createPolicyOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<{ policyId: string }>> {
  const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const checked = validatePolicy(record);
  if (!checked.ok) throw fieldRefusal('invalid', checked.fieldErrors);
  const vault = await writableVault(svc, user, record.vaultId);
  try {
    const policyId = await withTransaction(svc.pool, async (tx) => {
      const [row] = await tx
        .insert(backupPolicies)
        .values({ vaultId: vault.id, name: checked.name, ...settingsColumns(checked.settings) })
        .returning({ id: backupPolicies.id });
      await recordPolicyChange(tx, user, vault, {
        operation: 'Create policy',
        target: checked.name,
        message: `The policy '${checked.name}' has been created: ${summary(checked.settings)}.`,
        before: null,
        after: snapshot(checked.name, checked.settings),
      });
      return row!.id;
    });
    return { ok: true, data: { policyId }, message: `The policy '${checked.name}' has been created.` };
  } catch (err) {
    if (violatedConstraint(err) === 'backup_policies_vault_name_key') {
      throw fieldRefusal('duplicate', { name: policyMessages.duplicate(checked.name) });
    }
    throw err;
  }
}

/**
 * EDIT: a policy's schedule and retention (its name stays). The items that follow it learn the schedule at their
 * agents' next poll, and retention runs for them at once: the preview showed what it deletes.
 */
export async function updatePolicyOrThrow(svc: Services, user: PortalUser, input: unknown): Promise<ActionDone> {
  const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const vault = await writableVault(svc, user, record.vaultId);
  const policy = await findPolicy(svc.db, vault.id, { id: String(record.policyId ?? '') });
  if (!policy) throw new PortalError('not_found', policyRefusals.notFound);
  const checked = validatePolicy({ ...record, name: policy.name });
  if (!checked.ok) throw fieldRefusal('invalid', checked.fieldErrors);
  const done = await withTransaction(svc.pool, async (tx, client) => {
    const [row] = await tx
      .update(backupPolicies)
      .set({ ...settingsColumns(checked.settings), updatedAt: sql`portal_now()` })
      .where(and(eq(backupPolicies.id, policy.id), eq(backupPolicies.vaultId, vault.id)))
      .returning({ id: backupPolicies.id });
    if (!row) return false;
    const items = await tx
      .select({ id: protectedItems.id })
      .from(protectedItems)
      .where(eq(protectedItems.policyId, policy.id));
    await enqueueRetention(
      svc,
      client,
      items.map((i) => i.id),
    );
    await recordPolicyChange(tx, user, vault, {
      operation: 'Change policy',
      target: policy.name,
      message: `The policy '${policy.name}' has been changed: ${summary(checked.settings)}.`,
      before: snapshot(policy.name, policy),
      after: snapshot(policy.name, checked.settings),
    });
    return true;
  });
  if (!done) throw new PortalError('not_found', policyRefusals.notFound);
  return { ok: true, data: undefined, message: `The policy '${policy.name}' has been saved.` };
}

/** DELETE: refused for DefaultPolicy and, by the database's foreign key, while any item follows the policy. */
export async function deletePolicyOrThrow(svc: Services, user: PortalUser, input: unknown): Promise<ActionDone> {
  const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const vault = await writableVault(svc, user, record.vaultId);
  const policy = await findPolicy(svc.db, vault.id, { id: String(record.policyId ?? '') });
  if (!policy) throw new PortalError('not_found', policyRefusals.notFound);
  if (policy.isDefault) throw new PortalError('conflict', policyRefusals.defaultPolicy);
  if (policy.items > 0) throw new PortalError('conflict', policyRefusals.inUse(policy.name, policy.items));
  try {
    const deleted = await withTransaction(svc.pool, async (tx) => {
      const rows = await tx
        .delete(backupPolicies)
        .where(and(eq(backupPolicies.id, policy.id), eq(backupPolicies.vaultId, vault.id)))
        .returning({ id: backupPolicies.id });
      if (rows.length > 0) {
        await recordPolicyChange(tx, user, vault, {
          operation: 'Delete policy',
          target: policy.name,
          message: `The policy '${policy.name}' has been deleted.`,
          before: snapshot(policy.name, policy),
          after: null,
        });
      }
      return rows.length > 0;
    });
    if (!deleted) throw new PortalError('not_found', policyRefusals.notFound);
    return { ok: true, data: undefined, message: `The policy '${policy.name}' has been deleted.` };
  } catch (err) {
    // An item was assigned the policy between the count and the delete.
    if (violatedConstraint(err) === 'protected_items_policy_id_backup_policies_id_fk') {
      const again = await findPolicy(svc.db, vault.id, { id: policy.id });
      throw new PortalError('conflict', policyRefusals.inUse(policy.name, again?.items ?? 1));
    }
    throw err;
  }
}

const assignSchema = z.object({ itemId: z.uuid(), policyId: z.uuid() });

/**
 * PROTECTED ITEMS' policy choice: the item follows another policy of its vault from now on; runs of the new
 * schedule before now are not missed backups, and retention applies the new rules at once.
 */
export const assignPolicy = actionOf(assignPolicyOrThrow);

async function assignPolicyOrThrow(svc: Services, user: PortalUser, input: unknown): Promise<ActionResult> {
  const parsed = assignSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: policyRefusals.itemNotFound };
  const [item] = await svc.db
    .select({
      id: protectedItems.id,
      path: protectedItems.path,
      vaultId: protectedItems.vaultId,
      serverName: registeredServers.name,
    })
    .from(protectedItems)
    .innerJoin(registeredServers, eq(registeredServers.id, protectedItems.serverId))
    .where(eq(protectedItems.id, parsed.data.itemId));
  if (!item) return { ok: false, message: policyRefusals.itemNotFound };
  // Another subscription's item is not found, as an unknown one is.
  const { vault } = await vaultAccessOrThrow(svc.db, user, item.vaultId, 'write', {
    states: CONFIGURABLE_STATES,
    notFound: policyRefusals.itemNotFound,
  });
  const policy = await findPolicy(svc.db, vault.id, { id: parsed.data.policyId });
  if (!policy) return { ok: false, message: policyRefusals.notFound };
  await withTransaction(svc.pool, async (tx, client) => {
    // The policy it followed, read under the item's row lock: a racing assignment waits and then sees this one.
    const [previous] = await tx
      .select({ name: backupPolicies.name })
      .from(protectedItems)
      .innerJoin(backupPolicies, eq(backupPolicies.id, protectedItems.policyId))
      .where(eq(protectedItems.id, item.id))
      .for('update', { of: protectedItems });
    await tx
      .update(protectedItems)
      .set({ policyId: policy.id, policyAssignedAt: sql`portal_now()` })
      .where(eq(protectedItems.id, item.id));
    await enqueueRetention(svc, client, [item.id]);
    await recordPolicyChange(tx, user, vault, {
      operation: 'Assign policy',
      target: `${item.path} on ${item.serverName}`,
      message: `'${item.path}' on '${item.serverName}' now follows the policy '${policy.name}'.`,
      before: { policy: previous?.name ?? null },
      after: { policy: policy.name },
    });
  });
  return { ok: true, data: undefined, message: `'${item.path}' now follows the policy '${policy.name}'.` };
}
