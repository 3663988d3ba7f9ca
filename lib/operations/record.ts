import { and, eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Database } from '@/db/client';
import { operations } from '@/db/schema';

type Kind = (typeof operations.$inferInsert)['kind'];

/**
 * Records an operation that finished the moment it was asked for (a configuration change, a registration): a job in
 * the vault's history and a notification for `userId`. Call it inside the transaction that made the change.
 */
export async function recordFinishedOperation(
  tx: Database,
  values: {
    userId: string | null;
    subscriptionId: string;
    vaultId: string;
    vaultName: string;
    kind: Kind;
    message: string;
  },
): Promise<void> {
  await tx.insert(operations).values({ ...values, status: 'Succeeded', progress: 100, endedAt: sql`portal_now()` });
}

/**
 * Ends an in-flight operation with its final status and message. Conditional on it still being in flight, so a
 * retried job cannot end it twice; returns whether this call ended it.
 */
export async function completeOperation(
  tx: Database,
  operationId: string,
  status: 'Succeeded' | 'Failed',
  message: string,
): Promise<boolean> {
  const updated = await tx
    .update(operations)
    .set({ status, progress: 100, message, endedAt: sql`portal_now()`, updatedAt: sql`portal_now()` })
    .where(and(eq(operations.id, operationId), eq(operations.status, 'InProgress')))
    .returning({ id: operations.id });
  return updated.length === 1;
}

/**
 * Starts a job of an item that a person asked for in the portal (RECOVER TO SERVER, VERIFY): In progress, with the
 * names it is shown with, inside the caller's transaction (on its client, which also enqueues the job's work).
 * Answers its id.
 */
export async function startItemJob(
  client: pg.PoolClient,
  job: {
    userId: string;
    subscriptionId: string;
    vaultId: string;
    vaultName: string;
    kind: 'Restore' | 'VerifyStorage';
    message: string;
    itemId: string;
    itemName: string;
    serverId: string;
    serverName: string;
  },
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, message, item_id, item_name,
       server_id, server_name)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
    [
      job.userId,
      job.subscriptionId,
      job.vaultId,
      job.vaultName,
      job.kind,
      job.message,
      job.itemId,
      job.itemName,
      job.serverId,
      job.serverName,
    ],
  );
  return rows[0]!.id;
}
