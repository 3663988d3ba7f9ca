import { sql } from 'drizzle-orm';
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
  await tx.insert(operations).values({ ...values, status: 'Succeeded', progress: 100, endedAt: sql`now()` });
}
