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
};

/** One job of the vault with everything its details show; null when the id names none here. */
export async function vaultJob(db: Database, vaultId: string, jobId: string): Promise<VaultJob | null> {
  if (!z.uuid().safeParse(jobId).success) return null;
  const [job] = await db
    .select(jobColumns)
    .from(operations)
    .where(and(eq(operations.id, jobId), eq(operations.vaultId, vaultId), ne(operations.kind, 'ConfigureVault')));
  return job ?? null;
}

export const OPERATION_LABELS: Record<string, string> = JOB_OPERATIONS;

/** The classic JOBS tab's status words. */
export const JOB_STATUS_LABELS: Record<string, string> = {
  InProgress: 'In progress',
  Succeeded: 'Completed',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
};
