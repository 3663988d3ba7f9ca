import 'server-only';
import { and, desc, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '@/db/client';
import { operations } from '@/db/schema';
import { decodeCursor, encodeCursor } from '@/lib/http/input';
import { filterRange, JOB_OPERATIONS, JOB_STATUS_FILTERS, type JobFilters } from './filters';

export const JOBS_PAGE_SIZE = 50;

const jobColumns = {
  id: operations.id,
  kind: operations.kind,
  status: operations.status,
  startedAt: operations.startedAt,
  endedAt: operations.endedAt,
  message: operations.message,
  itemName: operations.itemName,
  serverName: operations.serverName,
  bytesDone: operations.bytesDone,
  bytesTotal: operations.bytesTotal,
  filesDone: operations.filesDone,
  filesTotal: operations.filesTotal,
  bytesPerSecond: operations.bytesPerSecond,
  secondsLeft: operations.secondsLeft,
  dataTransferred: operations.dataTransferred,
  filesSkipped: operations.filesSkipped,
  skippedListId: operations.skippedListId,
};

const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

const jobCursor = (job: { startedAt: Date; id: string }) => encodeCursor([job.startedAt.toISOString(), job.id]);

/**
 * A vault's jobs, newest first, filtered by status, operation and start time, one page at a time by keyset (the
 * page after a cursor starts below its last job, on operations_vault_idx): pages cost the same however deep.
 * Configuration changes are notifications, not jobs.
 */
export async function vaultJobs(
  db: Database,
  vaultId: string,
  filters: JobFilters = {},
  limit = JOBS_PAGE_SIZE,
): Promise<{ jobs: VaultJob[]; next?: string }> {
  const conditions = [eq(operations.vaultId, vaultId), ne(operations.kind, 'ConfigureVault')];
  if (filters.status) conditions.push(eq(operations.status, JOB_STATUS_FILTERS[filters.status].status));
  if (filters.operation) conditions.push(eq(operations.kind, filters.operation));
  const range = filterRange(filters);
  if (range.from) conditions.push(gte(operations.startedAt, range.from));
  if (range.toExclusive) conditions.push(lt(operations.startedAt, range.toExclusive));
  const after = decodeCursor(filters.after, (values) => cursorSchema.safeParse(values).data);
  if (after) {
    conditions.push(sql`(${operations.startedAt}, ${operations.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  }
  const rows = await db
    .select(jobColumns)
    .from(operations)
    .where(and(...conditions))
    .orderBy(desc(operations.startedAt), desc(operations.id))
    .limit(limit + 1);
  const jobs = rows.slice(0, limit);
  return { jobs, next: rows.length > limit ? jobCursor(jobs[jobs.length - 1]!) : undefined };
}

export type VaultJob = {
  id: string;
  kind: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Cancelled';
  startedAt: Date;
  endedAt: Date | null;
  message: string;
  itemName: string | null;
  serverName: string | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  filesDone: number | null;
  filesTotal: number | null;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  dataTransferred: number | null;
  /** A backup that completed but could not read some files: how many, and the encrypted object that lists them. */
  filesSkipped: number | null;
  skippedListId: string | null;
};

/** Where a job's list of skipped files is read from: a recovery point of its item that holds the list's object. */
export type SkippedListPlace = { itemId: string; pointId: string; listId: string };

/**
 * One job of the vault with everything its details show; null when the id names none here. A backup that skipped
 * files names the point its list is read from: the point the backup made, found as the first of the item's points
 * taken since the job started that holds the list (on recovery_points_item_idx and the objects' primary key), or a
 * later one with the same list (an id names its content); null once retention deleted every such point.
 */
export async function vaultJob(
  db: Database,
  vaultId: string,
  jobId: string,
): Promise<(VaultJob & { skippedList: SkippedListPlace | null }) | null> {
  if (!z.uuid().safeParse(jobId).success) return null;
  const [job] = await db
    .select({
      ...jobColumns,
      itemId: operations.itemId,
      // Written out: the builder names a column of the outer query without its table, which the subquery's own
      // tables would capture. A point's time is its session's start as JavaScript held it, to the millisecond.
      listPointId: sql<string | null>`(select p.id from recovery_points p
        join recovery_point_objects o on o.point_id = p.id and o.object_id = "operations"."skipped_list_id"
        where p.item_id = "operations"."item_id"
          and p.taken_at >= "operations"."started_at" - interval '1 millisecond'
        order by p.taken_at, p.id limit 1)`,
    })
    .from(operations)
    .where(and(eq(operations.id, jobId), eq(operations.vaultId, vaultId), ne(operations.kind, 'ConfigureVault')));
  if (!job) return null;
  const { itemId, listPointId, ...rest } = job;
  return {
    ...rest,
    skippedList:
      itemId && listPointId && job.skippedListId ? { itemId, pointId: listPointId, listId: job.skippedListId } : null,
  };
}

export const OPERATION_LABELS: Record<string, string> = JOB_OPERATIONS;

/** The classic JOBS tab's status words. */
export const JOB_STATUS_LABELS: Record<string, string> = {
  InProgress: 'In progress',
  Succeeded: 'Completed',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
};
