import 'server-only';
import { and, asc, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { operationLogs } from '@/db/schema';
import { decodeLogCursor, type LogFilters, logCursor } from './filters';

/** Who reads the logs: a user and the subscriptions they belong to (lib/auth's PortalUser is one). */
type Reader = { id: string; subscriptions: { id: string }[] };

export const LOGS_PAGE_SIZE = 50;

export type LogEntryRow = {
  id: string;
  chain: string;
  seq: number;
  at: Date;
  actor: string;
  subscriptionId: string | null;
  vaultName: string | null;
  category: string;
  operation: string;
  target: string | null;
  status: string;
  detail: string | null;
  before: unknown;
  after: unknown;
};

/** The chain of a person's own changes (tokens, security): theirs alone to see. */
export function personalChain(userId: string): string {
  return `user:${userId}`;
}

/** The chains a user may see: those of their subscriptions and their own. */
export function visibleChains(user: Reader): string[] {
  return [...user.subscriptions.map((s) => s.id), personalChain(user.id)];
}

// The entry's time at full precision (microseconds), so a cursor names exactly one place in the order.
const atMicros = sql<string>`(extract(epoch from ${operationLogs.at}) * 1000000)::bigint::text`;
const atFromMicros = (micros: string) => sql`(timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond')`;

/**
 * The operation log entries a user may see, newest first, filtered, one page at a time by keyset on (at, id): on
 * operation_logs_subscription_at_idx for one subscription, else operation_logs_at_idx. `before` pages back towards
 * the newest.
 */
export async function listLogEntries(
  db: Database,
  user: Reader,
  filters: LogFilters = {},
  limit = LOGS_PAGE_SIZE,
): Promise<{ entries: LogEntryRow[]; next?: string; previous?: string }> {
  const subscriptions = user.subscriptions.map((s) => s.id);
  const conditions: (SQL | undefined)[] = [];
  if (filters.subscription) {
    if (!subscriptions.includes(filters.subscription)) return { entries: [] };
    conditions.push(eq(operationLogs.subscriptionId, filters.subscription));
  } else {
    conditions.push(
      or(
        subscriptions.length > 0 ? inArray(operationLogs.subscriptionId, subscriptions) : undefined,
        eq(operationLogs.chain, personalChain(user.id)),
      ),
    );
  }
  if (filters.category) conditions.push(eq(operationLogs.category, filters.category));
  if (filters.status) conditions.push(eq(operationLogs.status, filters.status));
  if (filters.q) {
    const pattern = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(
      sql`concat_ws(' ', ${operationLogs.vaultName}, ${operationLogs.actor}, ${operationLogs.operation}, ${operationLogs.target}, ${operationLogs.detail}) ilike ${pattern}`,
    );
  }
  const after = decodeLogCursor(filters.after);
  const before = after ? undefined : decodeLogCursor(filters.before);
  if (after)
    conditions.push(sql`(${operationLogs.at}, ${operationLogs.id}) < (${atFromMicros(after.at)}, ${after.id})`);
  if (before) {
    conditions.push(sql`(${operationLogs.at}, ${operationLogs.id}) > (${atFromMicros(before.at)}, ${before.id})`);
  }
  const rows = await db
    .select({
      id: operationLogs.id,
      chain: operationLogs.chain,
      seq: operationLogs.seq,
      at: operationLogs.at,
      atMicros,
      actor: operationLogs.actor,
      subscriptionId: operationLogs.subscriptionId,
      vaultName: operationLogs.vaultName,
      category: operationLogs.category,
      operation: operationLogs.operation,
      target: operationLogs.target,
      status: operationLogs.status,
      detail: operationLogs.detail,
      before: operationLogs.before,
      after: operationLogs.after,
    })
    .from(operationLogs)
    .where(and(...conditions))
    .orderBy(
      ...(before ? [asc(operationLogs.at), asc(operationLogs.id)] : [desc(operationLogs.at), desc(operationLogs.id)]),
    )
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (before) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  const cursorOf = (row: { atMicros: string; id: string }) => logCursor({ at: row.atMicros, id: row.id });
  return {
    entries: page.map(({ atMicros: _, ...entry }) => entry),
    // Older entries exist when this page is not the last going back, or when it was reached from an older page.
    next: last && (before || more) ? cursorOf(last) : undefined,
    previous: first && (after || (before && more)) ? cursorOf(first) : undefined,
  };
}
