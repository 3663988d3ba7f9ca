import 'server-only';
import type pg from 'pg';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@/lib/http/input';
import { JOB_STATUS_FILTERS, type JobStatusFilter } from '@/lib/jobs/filters';
import { type Scope, windowDays } from './queries';

/** The Backup center's jobs list and its CSV: backup and restore jobs of every vault in scope, newest first. */

/** How far back the list goes: the last 24 hours (the Jobs tile's figures), or the UTC days of a window. */
export const JOB_SPANS = {
  '24h': 'Last 24 hours',
  '7': 'Last 7 days',
  '30': 'Last 30 days',
  '90': 'Last 90 days',
} as const;
export type JobSpan = keyof typeof JOB_SPANS;

export function parseJobSpan(value: string | undefined): JobSpan {
  return value && value in JOB_SPANS ? (value as JobSpan) : '24h';
}

export function parseJobStatus(value: string | undefined): JobStatusFilter | undefined {
  return value && value in JOB_STATUS_FILTERS ? (value as JobStatusFilter) : undefined;
}

/** The first instant of a span, by the portal's clock. */
export function spanStart(span: JobSpan, now: Date): Date {
  if (span === '24h') return new Date(now.getTime() - 86_400_000);
  return new Date(`${windowDays(now, Number(span))[0]}T00:00:00Z`);
}

export type CenterJob = {
  id: string;
  vaultId: string | null;
  vaultName: string;
  kind: 'Backup' | 'Restore';
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Cancelled';
  itemName: string | null;
  serverName: string | null;
  startedAt: Date;
  endedAt: Date | null;
  dataTransferred: number | null;
  message: string;
};

const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

/**
 * A page of the scope's backup and restore jobs since `from`, newest first, by keyset on (started_at, id) over
 * operations_subscription_idx (or operations_vault_idx for one vault).
 */
export async function centerJobs(
  pool: pg.Pool,
  scope: Scope,
  options: { from: Date; status?: JobStatusFilter; after?: string; limit?: number },
): Promise<{ jobs: CenterJob[]; next?: string }> {
  const limit = options.limit ?? 50;
  const after = decodeCursor(options.after, (values) => cursorSchema.safeParse(values).data);
  const params: unknown[] = ['vaultId' in scope ? scope.vaultId : scope.subscriptionIds, options.from, limit + 1];
  const conditions = [`o.kind in ('Backup', 'Restore')`, 'o.started_at >= $2'];
  if (options.status) {
    params.push(JOB_STATUS_FILTERS[options.status].status);
    conditions.push(`o.status = $${params.length}`);
  }
  if (after) {
    params.push(after[0], after[1]);
    const [at, id] = [`$${params.length - 1}::timestamptz`, `$${params.length}::uuid`];
    // The first condition bounds the index's range; the second is the keyset's.
    conditions.push(`o.started_at <= ${at}`, `(o.started_at, o.id) < (${at}, ${id})`);
  }
  const columns = `o.id, o.vault_id, o.vault_name, o.kind, o.status, o.item_name, o.server_name, o.started_at,
    o.ended_at, o.data_transferred, o.message`;
  // Several subscriptions: each one's newest jobs from its own range of operations_subscription_idx (read backwards,
  // a page at most), then merged; one index range cannot give them in time order across subscriptions, and sorting
  // the whole span (hundreds of thousands of jobs in a large fleet's month) cost a scan of it for every page.
  const { rows } = await pool.query(
    'vaultId' in scope
      ? `select ${columns} from operations o where o.vault_id = $1 and ${conditions.join(' and ')}
         order by o.started_at desc, o.id desc limit $3`
      : `select j.* from (select distinct unnest($1::uuid[]) as id) s cross join lateral (
           select ${columns} from operations o where o.subscription_id = s.id and ${conditions.join(' and ')}
           order by o.started_at desc, o.id desc limit $3) j
         order by j.started_at desc, j.id desc limit $3`,
    params,
  );
  const jobs: CenterJob[] = rows.slice(0, limit).map((r) => ({
    id: r.id,
    vaultId: r.vault_id,
    vaultName: r.vault_name,
    kind: r.kind,
    status: r.status,
    itemName: r.item_name,
    serverName: r.server_name,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    dataTransferred: r.data_transferred === null ? null : Number(r.data_transferred),
    message: r.message,
  }));
  const last = jobs.at(-1);
  return {
    jobs,
    next: rows.length > limit && last ? encodeCursor([last.startedAt.toISOString(), last.id]) : undefined,
  };
}

/** The label JOBS shows for a job's status. */
export function statusLabel(status: CenterJob['status']): string {
  return status === 'Succeeded' ? 'Completed' : status === 'InProgress' ? 'In progress' : status;
}

export const CSV_COLUMNS = [
  'VAULT',
  'OPERATION',
  'STATUS',
  'ITEM',
  'SERVER',
  'STARTED',
  'ENDED',
  'DATA TRANSFERRED (BYTES)',
  'DETAILS',
] as const;

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvRow(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function jobRow(job: CenterJob): string {
  return csvRow([
    job.vaultName,
    job.kind,
    statusLabel(job.status),
    job.itemName ?? '',
    job.serverName ?? '',
    job.startedAt.toISOString(),
    job.endedAt?.toISOString() ?? '',
    job.dataTransferred === null ? '' : String(job.dataTransferred),
    job.message,
  ]);
}

/**
 * jobs.csv of the scope's jobs since `from`, streamed a page at a time (a window of a large fleet has hundreds of
 * thousands of jobs: never held whole), stopping when the reader goes away.
 */
export function jobsCsv(pool: pg.Pool, scope: Scope, from: Date, batch = 2000): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after: string | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvRow(CSV_COLUMNS)));
        return;
      }
      const page = await centerJobs(pool, scope, { from, after, limit: batch });
      if (page.jobs.length > 0) controller.enqueue(encoder.encode(page.jobs.map(jobRow).join('')));
      if (!page.next) controller.close();
      after = page.next;
    },
  });
}
