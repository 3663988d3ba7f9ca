import 'server-only';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { operationLogs } from '@/db/schema';

/** What the operation logs group changes by (the page's filter). */
export type LogCategory =
  | 'Vaults'
  | 'Credentials'
  | 'Registrations'
  | 'Configuration'
  | 'Policies'
  | 'Backups'
  | 'Restores'
  | 'People'
  | 'Tokens'
  | 'Security'
  | 'Alerts';

export type LogStatus = 'Succeeded' | 'Failed' | 'Started' | 'Cancelled' | 'Refused';

export type LogEntry = {
  /** Who: the person (their id and email as they are now), or the portal itself (no id) for its own work. */
  actor: { id: string | null; email: string };
  /** The subscription the change belongs to; without one the entry goes to the person's own chain (tokens, security). */
  subscriptionId?: string | null;
  vault?: { id: string; name: string } | null;
  category: LogCategory;
  /** The operation in words, e.g. `Download vault credentials`. */
  operation: string;
  /** What it acted on, e.g. a policy's or a person's name. */
  target?: string | null;
  status?: LogStatus;
  detail?: string | null;
  before?: unknown;
  after?: unknown;
};

/**
 * Appends an entry to the operation logs. Call it with the transaction that makes the change, so the change and its
 * entry commit together. Numbering, linking and hashing are the database's (migration 0011's trigger); vault
 * operations (the `operations` table) are logged by a trigger of their own and need no call.
 */
export async function logChange(db: Pick<Database, 'insert'>, entry: LogEntry): Promise<void> {
  await db.insert(operationLogs).values({
    actorId: entry.actor.id,
    actor: entry.actor.email,
    subscriptionId: entry.subscriptionId ?? null,
    vaultId: entry.vault?.id ?? null,
    vaultName: entry.vault?.name ?? null,
    category: entry.category,
    operation: entry.operation,
    target: entry.target ?? null,
    status: entry.status ?? 'Succeeded',
    detail: entry.detail ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}

/**
 * Runs `work` (which records an operation, a job and a notification) without the operations trigger logging it, for
 * a change whose own entry says more (a policy's before and after): the caller logs it with `logChange` in the same
 * transaction. The setting is transaction-local and cleared right after, so later operations log as usual.
 */
export async function withoutOperationLog<T>(tx: Pick<Database, 'execute'>, work: () => Promise<T>): Promise<T> {
  await tx.execute(sql`select set_config('operation_logs.caller_logs', 'on', true)`);
  const result = await work();
  await tx.execute(sql`select set_config('operation_logs.caller_logs', '', true)`);
  return result;
}
