import { JobProgress } from '@/components/jobs/job-progress';
import { LiveRefresh } from '@/components/jobs/live-refresh';
import { TableHead } from '@/components/table-head';
import { TabEmpty } from '@/components/vaults/tab-empty';
import { formatBytes } from '@/lib/format';
import { JOB_STATUS_LABELS, OPERATION_LABELS, vaultJobs } from '@/lib/operations/history';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function JobsPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc } = await loadVaultTab(params, 'jobs');
  const jobs = await vaultJobs(svc.db, vault.id);
  if (jobs.length === 0) return <TabEmpty title="No jobs yet.">Jobs of this vault appear here.</TabEmpty>;
  const running = jobs.some((job) => job.status === 'InProgress');
  return (
    <>
      <LiveRefresh active={running} />
      <table className="w-full border-collapse text-sm">
        <TableHead
          columns={['OPERATION', 'STATUS', 'ITEM', 'SERVER', 'STARTED', 'ENDED', 'DATA TRANSFERRED', 'DETAILS']}
        />
        <tbody>
          {jobs.map((job) => {
            const label = OPERATION_LABELS[job.kind] ?? job.kind;
            const live = job.status === 'InProgress' && job.bytesTotal !== null;
            return (
              <tr key={job.id} className="border-b border-portal-line align-top">
                <td className="py-2 pr-4">{label}</td>
                <td className="py-2 pr-4">{JOB_STATUS_LABELS[job.status] ?? job.status}</td>
                <td className="max-w-64 break-all py-2 pr-4 font-mono text-[13px]">{job.itemName ?? '—'}</td>
                <td className="py-2 pr-4">{job.serverName ?? '—'}</td>
                <td className="py-2 pr-4">{job.startedAt.toUTCString()}</td>
                <td className="py-2 pr-4">{job.endedAt?.toUTCString() ?? '—'}</td>
                <td className="py-2 pr-4">{job.dataTransferred === null ? '—' : formatBytes(job.dataTransferred)}</td>
                <td className="py-2 pr-4 text-portal-muted">
                  {live ? (
                    <JobProgress
                      label={`${label} of ${job.itemName ?? ''}`}
                      figures={{
                        bytesDone: job.bytesDone ?? 0,
                        bytesTotal: job.bytesTotal ?? 0,
                        filesDone: job.filesDone ?? 0,
                        filesTotal: job.filesTotal ?? 0,
                        bytesPerSecond: job.bytesPerSecond,
                        secondsLeft: job.secondsLeft,
                      }}
                    />
                  ) : (
                    job.message
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
