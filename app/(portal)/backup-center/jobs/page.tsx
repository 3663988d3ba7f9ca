import type { Metadata } from 'next';
import Link from 'next/link';
import { CenterList } from '@/components/center/list';
import { TableHead } from '@/components/table-head';
import { centerJobs, JOB_SPANS, parseJobSpan, parseJobStatus, spanStart, statusLabel } from '@/lib/center/jobs';
import { loadCenterPage } from '@/lib/center/page';
import { centerHref } from '@/lib/center/view';
import { formatBytes } from '@/lib/format';
import { JOB_STATUS_FILTERS } from '@/lib/jobs/filters';

export const metadata: Metadata = { title: 'Backup center: jobs' };

/** Backup and restore jobs across the user's vaults: the Jobs tile's figures lead here. */
export default async function CenterJobsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { user, svc, text, scope, chosen, unknown } = await loadCenterPage(searchParams);
  const status = parseJobStatus(text('status'));
  const span = parseJobSpan(text('span'));
  const after = text('after');
  const { jobs, next } = await centerJobs(svc.pool, scope, { from: spanStart(span, svc.clock.now()), status, after });
  const base = { subscription: chosen, status, span };
  return (
    <CenterList
      title="backup center jobs"
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
      empty={jobs.length === 0 ? 'No backup or restore jobs match this filter.' : undefined}
      pages={{
        label: 'Pages of jobs',
        first: after ? { href: centerHref('/backup-center/jobs', base), text: 'Newest jobs' } : undefined,
        next: next
          ? { href: centerHref('/backup-center/jobs', { ...base, after: next }), text: 'Older jobs' }
          : undefined,
      }}
    >
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
              <td className="py-2.5 pr-4">{job.dataTransferred === null ? '—' : formatBytes(job.dataTransferred)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </CenterList>
  );
}
