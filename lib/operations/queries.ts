import 'server-only';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { operations } from '@/db/schema';

export type OperationView = {
  id: string;
  kind: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Cancelled';
  progress: number;
  message: string;
  vaultId: string | null;
  vaultName: string;
  startedAt: string;
};

/** The user's undismissed operations, newest first: served by operations_user_open_idx whatever the history's size. */
export async function listOpenOperations(db: Database, userId: string, limit = 20): Promise<OperationView[]> {
  const rows = await db
    .select({
      id: operations.id,
      kind: operations.kind,
      status: operations.status,
      progress: operations.progress,
      message: operations.message,
      vaultId: operations.vaultId,
      vaultName: operations.vaultName,
      startedAt: operations.startedAt,
    })
    .from(operations)
    .where(and(eq(operations.userId, userId), isNull(operations.dismissedAt)))
    .orderBy(desc(operations.startedAt))
    .limit(limit);
  return rows.map((r) => ({ ...r, startedAt: r.startedAt.toISOString() }));
}

/** Dismisses a finished operation of this user; an operation still in flight stays until it ends. */
export async function dismissOperation(db: Database, userId: string, operationId: string): Promise<boolean> {
  const updated = await db
    .update(operations)
    .set({ dismissedAt: sql`now()` })
    .where(
      and(
        eq(operations.id, operationId),
        eq(operations.userId, userId),
        isNull(operations.dismissedAt),
        sql`${operations.status} <> 'InProgress'`,
      ),
    )
    .returning({ id: operations.id });
  return updated.length === 1;
}

/** Dismisses all of the user's finished operations at once. */
export async function dismissFinishedOperations(db: Database, userId: string): Promise<number> {
  const updated = await db
    .update(operations)
    .set({ dismissedAt: sql`now()` })
    .where(
      and(eq(operations.userId, userId), isNull(operations.dismissedAt), sql`${operations.status} <> 'InProgress'`),
    )
    .returning({ id: operations.id });
  return updated.length;
}
