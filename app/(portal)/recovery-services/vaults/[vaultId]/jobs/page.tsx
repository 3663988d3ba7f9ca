import Link from 'next/link';
import { JobFiltersForm } from '@/components/jobs/job-filters';
import { JobsTable } from '@/components/jobs/jobs-table';
import { LiveRefresh } from '@/components/jobs/live-refresh';
import { TabEmpty } from '@/components/vaults/tab-empty';
import { formatBytes } from '@/lib/format';
import { jobsHref, parseJobFilters } from '@/lib/jobs/filters';
import { JOB_STATUS_LABELS, OPERATION_LABELS, vaultJobs } from '@/lib/jobs/history';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function JobsPage({
  params,
  searchParams,
}: {
  params: Promise<{ vaultId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { vault, svc, canChange } = await loadVaultTab(params, 'jobs');
  const filters = parseJobFilters(await searchParams);
  const { jobs, next } = await vaultJobs(svc.db, vault.id, filters);
  const running = jobs.some((job) => job.status === 'InProgress');
  const filtered = Boolean(filters.status || filters.operation || filters.from || filters.to);
  return (
    <>
      <LiveRefresh active={running} />
      <JobFiltersForm vaultId={vault.id} filters={filters} />
      {jobs.length === 0 ? (
        <TabEmpty title={filtered ? 'No jobs match these filters.' : 'No jobs yet.'}>
          {filtered ? 'Change or clear the filters to see more jobs.' : 'Jobs of this vault appear here.'}
        </TabEmpty>
      ) : (
        <JobsTable
          vaultId={vault.id}
          canChange={canChange}
          jobs={jobs.map((job) => {
            const operation = OPERATION_LABELS[job.kind] ?? job.kind;
            return {
              id: job.id,
              operation,
              status: JOB_STATUS_LABELS[job.status] ?? job.status,
              item: job.itemName ?? '—',
              server: job.serverName ?? '—',
              started: job.startedAt.toUTCString(),
              ended: job.endedAt?.toUTCString() ?? '—',
              dataTransferred: job.dataTransferred === null ? '—' : formatBytes(job.dataTransferred),
              message: job.message,
              figures:
                job.status === 'InProgress' && job.bytesTotal !== null
                  ? {
                      bytesDone: job.bytesDone ?? 0,
                      bytesTotal: job.bytesTotal,
                      filesDone: job.filesDone ?? 0,
                      filesTotal: job.filesTotal ?? 0,
                      bytesPerSecond: job.bytesPerSecond,
                      secondsLeft: job.secondsLeft,
                    }
                  : null,
            };
          })}
        />
      )}
      <nav aria-label="Pages of jobs" className="mt-4 flex gap-6 text-sm">
        {filters.after && (
          <Link href={jobsHref(vault.id, { ...filters, after: undefined })} className="text-portal-blue underline">
            Newest jobs
          </Link>
        )}
        {next && (
          <Link href={jobsHref(vault.id, { ...filters, after: next })} className="text-portal-blue underline">
            Older jobs
          </Link>
        )}
      </nav>
    </>
  );
}
