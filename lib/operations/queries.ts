import 'server-only';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { operations, users } from '@/db/schema';

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

/**
 * The notification poll's one query: the user's undismissed operations, newest first (operations_user_open_idx, whatever
 * the history's size), or null when the user no longer exists (a deleted user is signed out).
 */
export async function listOpenOperations(db: Database, userId: string, limit = 20): Promise<OperationView[] | null> {
  const open = db
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
    .limit(limit)
    .as('open');
  const rows = await db
    .select({
      id: open.id,
      kind: open.kind,
      status: open.status,
      progress: open.progress,
      message: open.message,
      vaultId: open.vaultId,
      vaultName: open.vaultName,
      startedAt: open.startedAt,
    })
    .from(users)
    .leftJoin(open, sql`true`)
    .where(eq(users.id, userId))
    .orderBy(desc(open.startedAt));
  if (rows.length === 0) return null;
  // The user's row with no operation joined is one row of nulls.
  return rows.flatMap(({ id, kind, status, progress, message, vaultId, vaultName, startedAt }) =>
    id === null
      ? []
      : [
          {
            id,
            kind: kind!,
            status: status!,
            progress: progress!,
            message: message!,
            vaultId,
            vaultName: vaultName!,
            startedAt: startedAt!.toISOString(),
          },
        ],
  );
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
