import 'server-only';
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
  | 'Security';

export type LogStatus = 'Succeeded' | 'Failed' | 'Started' | 'Cancelled' | 'Refused';

export type LogEntry = {
  /** Who: the person (their id and email as they are now). */
  actor: { id: string; email: string };
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
