import 'server-only';
import { and, eq, isNull, sql } from 'drizzle-orm';
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

/**
 * The notification poll's one query: the user's undismissed operations, newest first (operations_user_open_idx, whatever
 * the history's size), or null when the user no longer exists (a deleted user is signed out). Every open tab sends it
 * every second while work runs, so it is plain SQL on the pool, not built and mapped by drizzle each time (issue 13).
 */
export async function listOpenOperations(db: Database, userId: string, limit = 20): Promise<OperationView[] | null> {
  const { rows } = await db.$client.query<OpenRow>(OPEN_OPERATIONS, [userId, limit]);
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

/** A row of OPEN_OPERATIONS: all null when the user has no open operation. */
type OpenRow = { [K in Exclude<keyof OperationView, 'startedAt'>]: OperationView[K] | null } & {
  startedAt: Date | null;
};

const OPEN_OPERATIONS = `
  select open.id, open.kind, open.status, open.progress, open.message, open.vault_id as "vaultId",
         open.vault_name as "vaultName", open.started_at as "startedAt"
  from users
  left join (
    select id, kind, status, progress, message, vault_id, vault_name, started_at from operations
    where user_id = $1 and dismissed_at is null
    order by started_at desc
    limit $2
  ) open on true
  where users.id = $1
  order by open.started_at desc`;

/** Dismisses a finished operation of this user; an operation still in flight stays until it ends. */
export async function dismissOperation(db: Database, userId: string, operationId: string): Promise<boolean> {
  const updated = await db
    .update(operations)
    .set({ dismissedAt: sql`portal_now()` })
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
    .set({ dismissedAt: sql`portal_now()` })
    .where(
      and(eq(operations.userId, userId), isNull(operations.dismissedAt), sql`${operations.status} <> 'InProgress'`),
    )
    .returning({ id: operations.id });
  return updated.length;
}
