import { and, eq, sql } from 'drizzle-orm';
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
