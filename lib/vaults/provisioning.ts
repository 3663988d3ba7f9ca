import { and, eq, lt, sql } from 'drizzle-orm';
import { withTransaction } from '@/db/client';
import { operations, vaults } from '@/db/schema';
import { completeOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { regionName } from './regions';

const STEPS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function loadOperation(svc: Services, operationId: string) {
  const [op] = await svc.db.select().from(operations).where(eq(operations.id, operationId));
  return op;
}

/** Moves progress forward only, and only while the operation is in flight: a late or repeated step changes nothing. */
async function advance(svc: Services, operationId: string, progress: number) {
  await svc.db
    .update(operations)
    .set({ progress, updatedAt: sql`portal_now()` })
    .where(and(eq(operations.id, operationId), eq(operations.status, 'InProgress'), lt(operations.progress, progress)));
}

/** Runs the remaining steps of an operation, resuming where a killed server left it. */
async function runSteps(svc: Services, operationId: string, from: number, totalMs: number) {
  for (let step = Math.floor(from / (100 / STEPS)) + 1; step < STEPS; step++) {
    await sleep(totalMs / STEPS);
    await advance(svc, operationId, step * (100 / STEPS));
  }
  await sleep(totalMs / STEPS);
}

/**
 * Provisions a vault over VAULT_PROVISIONING_SECONDS. Returns true when this call made the vault Active or Failed,
 * false when it had already been done (a retried or duplicate job): the transition is conditional on Creating.
 */
export async function provisionVault(svc: Services, operationId: string): Promise<boolean> {
  const op = await loadOperation(svc, operationId);
  if (op?.status !== 'InProgress' || !op.vaultId) return false;
  await runSteps(svc, operationId, op.progress, svc.env.VAULT_PROVISIONING_SECONDS * 1000);
  // A fault rule (the emulator's) fails the creation with its message, where the user sees it: the notification.
  const fault = await svc.faults.check('CreateVault', { name: op.vaultName }).then(
    () => undefined,
    (err: Error) => err.message,
  );

  return withTransaction(svc.pool, async (tx) => {
    const [vault] = await tx.select().from(vaults).where(eq(vaults.id, op.vaultId!)).for('update');
    if (vault?.status !== 'Creating') return false;
    const fails = fault !== undefined || svc.env.VAULT_PROVISIONING_FAIL_NAMES.includes(vault.name.toLowerCase());
    await tx
      .update(vaults)
      .set({ status: fails ? 'Failed' : 'Active', updatedAt: sql`portal_now()` })
      .where(eq(vaults.id, vault.id));
    const message =
      fault !== undefined
        ? `The backup vault '${vault.name}' could not be created: ${fault}`
        : fails
          ? `The backup vault '${vault.name}' could not be created: no storage could be allocated in ${regionName(vault.region)} (a failure simulated by VAULT_PROVISIONING_FAIL_NAMES).`
          : `The backup vault '${vault.name}' has been successfully created.`;
    return completeOperation(tx, operationId, fails ? 'Failed' : 'Succeeded', message);
  });
}

/** Removes a Deleting vault after a short pause (the service takes a moment too). */
export async function removeVault(svc: Services, operationId: string): Promise<boolean> {
  const op = await loadOperation(svc, operationId);
  if (op?.status !== 'InProgress' || !op.vaultId) return false;
  await runSteps(svc, operationId, op.progress, Math.min(svc.env.VAULT_PROVISIONING_SECONDS, 2) * 1000);
  const fault = await svc.faults.check('DeleteVault', { name: op.vaultName }).then(
    () => undefined,
    (err: Error) => err.message,
  );
  if (fault !== undefined) {
    // The emulator's fault rule: the deletion fails with its message and the vault stays, Active again.
    return withTransaction(svc.pool, async (tx) => {
      await tx
        .update(vaults)
        .set({ status: 'Active', updatedAt: sql`portal_now()` })
        .where(and(eq(vaults.id, op.vaultId!), eq(vaults.status, 'Deleting')));
      return completeOperation(
        tx,
        operationId,
        'Failed',
        `The backup vault '${op.vaultName}' could not be deleted: ${fault}`,
      );
    });
  }
  return withTransaction(svc.pool, async (tx) => {
    const removed = await tx
      .delete(vaults)
      .where(and(eq(vaults.id, op.vaultId!), eq(vaults.status, 'Deleting')))
      .returning({ id: vaults.id });
    const ended = await completeOperation(
      tx,
      operationId,
      'Succeeded',
      `The backup vault '${op.vaultName}' has been deleted.`,
    );
    return removed.length === 1 && ended;
  });
}

/**
 * A provisioning or deletion whose job failed its last retry: its operation ends Failed with a message, so the
 * notification can be dismissed, and the vault does not stay Creating or Deleting for ever (a vault whose deletion
 * failed is Active again, and can be deleted again). Conditional, like every step: a second call changes nothing.
 */
export async function giveUpOperation(svc: Services, operationId: string, reason: string): Promise<boolean> {
  const op = await loadOperation(svc, operationId);
  if (op?.status !== 'InProgress') return false;
  return withTransaction(svc.pool, async (tx) => {
    if (op.vaultId && op.kind === 'CreateVault') {
      await tx
        .update(vaults)
        .set({ status: 'Failed', updatedAt: sql`portal_now()` })
        .where(and(eq(vaults.id, op.vaultId), eq(vaults.status, 'Creating')));
    } else if (op.vaultId && op.kind === 'DeleteVault') {
      await tx
        .update(vaults)
        .set({ status: 'Active', updatedAt: sql`portal_now()` })
        .where(and(eq(vaults.id, op.vaultId), eq(vaults.status, 'Deleting')));
    }
    // The cause goes to the log; the user hears what happened and what state the vault is in.
    console.error(`operation ${operationId} (${op.kind}) gave up after its last retry: ${reason}`);
    const message =
      op.kind === 'VerifyStorage'
        ? 'The verification of the backup data could not finish: it kept failing. Try VERIFY again later.'
        : op.kind === 'DeleteVault'
          ? `The backup vault '${op.vaultName}' could not be deleted: the deletion kept failing, so the vault stays. Try again later.`
          : `The backup vault '${op.vaultName}' could not be created: provisioning kept failing.`;
    return completeOperation(tx, operationId, 'Failed', message);
  });
}
