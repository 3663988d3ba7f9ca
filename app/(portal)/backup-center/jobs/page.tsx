import type { Metadata } from 'next';
import Link from 'next/link';
import { CenterListFilters } from '@/components/center/filters';
import { PageTitle } from '@/components/page-title';
import { TableHead } from '@/components/table-head';
import { requireUser } from '@/lib/auth/guard';
import { centerJobs, JOB_SPANS, parseJobSpan, parseJobStatus, spanStart, statusLabel } from '@/lib/center/jobs';
import { centerScope } from '@/lib/center/scope';
import { centerHref } from '@/lib/center/view';
import { formatBytes } from '@/lib/format';
import { JOB_STATUS_FILTERS } from '@/lib/jobs/filters';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Backup center: jobs' };

/** Backup and restore jobs across the user's vaults: the Jobs tile's figures lead here. */
export default async function CenterJobsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [user, svc, query] = await Promise.all([requireUser(), getServices(), searchParams]);
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const { scope, chosen, unknown } = centerScope(user, text('subscription'));
  const status = parseJobStatus(text('status'));
  const span = parseJobSpan(text('span'));
  const after = text('after');
  const { jobs, next } = await centerJobs(svc.pool, scope, { from: spanStart(span, svc.clock.now()), status, after });
  const base = { subscription: chosen, status, span };
  return (
    <>
      <PageTitle>backup center jobs</PageTitle>
      <CenterListFilters
        action="/backup-center/jobs"
        subscriptions={user.subscriptions}
        chosen={chosen}
        unknown={unknown}
        fields={[
          {
            name: 'status',
            label: 'Status',
            value: status ?? '',
            options: [
              { value: '', label: 'All' },
              ...Object.entries(JOB_STATUS_FILTERS).map(([value, f]) => ({ value, label: f.label })),
            ],
          },
          {
            name: 'span',
            label: 'Started',
            value: span,
            options: Object.entries(JOB_SPANS).map(([value, label]) => ({ value, label })),
          },
        ]}
      />
      <div className="px-8 pb-10">
        <p className="mb-3 text-sm">
          <Link href={centerHref('/backup-center', { subscription: chosen })} className="text-portal-blue underline">
            Back to the Backup center
          </Link>
        </p>
        {jobs.length === 0 ? (
          <p className="text-sm text-portal-muted">No backup or restore jobs match this filter.</p>
        ) : (
          <table aria-label="Jobs" className="w-full text-sm">
            <TableHead
              columns={['VAULT', 'OPERATION', 'STATUS', 'ITEM', 'SERVER', 'STARTED', 'ENDED', 'DATA TRANSFERRED']}
            />
            <tbody>
              {jobs.map((job) => (
                <tr key={job.id} className="border-b border-portal-line">
                  <td className="py-2.5 pr-4">
                    {job.vaultId ? (
                      <Link
                        href={`/recovery-services/vaults/${job.vaultId}/jobs/${job.id}`}
                        className="text-portal-blue hover:underline"
                      >
                        {job.vaultName}
                      </Link>
                    ) : (
                      job.vaultName
                    )}
                  </td>
                  <td className="py-2.5 pr-4">{job.kind}</td>
                  <td className={`py-2.5 pr-4 ${job.status === 'Failed' ? 'text-portal-red' : ''}`}>
                    {statusLabel(job.status)}
                  </td>
                  <td className="py-2.5 pr-4 break-all">{job.itemName ?? '—'}</td>
                  <td className="py-2.5 pr-4">{job.serverName ?? '—'}</td>
                  <td className="py-2.5 pr-4">{job.startedAt.toUTCString()}</td>
                  <td className="py-2.5 pr-4">{job.endedAt?.toUTCString() ?? '—'}</td>
                  <td className="py-2.5 pr-4">
                    {job.dataTransferred === null ? '—' : formatBytes(job.dataTransferred)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav aria-label="Pages of jobs" className="mt-4 flex gap-6 text-sm">
          {after && (
            <Link href={centerHref('/backup-center/jobs', base)} className="text-portal-blue underline">
              Newest jobs
            </Link>
          )}
          {next && (
            <Link
              href={centerHref('/backup-center/jobs', { ...base, after: next })}
              className="text-portal-blue underline"
            >
              Older jobs
            </Link>
          )}
        </nav>
      </div>
    </>
  );
}
