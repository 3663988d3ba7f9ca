import Link from 'next/link';
import { notFound } from 'next/navigation';
import { JobDetails } from '@/components/jobs/job-details';
import { LiveRefresh } from '@/components/jobs/live-refresh';
import { JOB_STATUS_LABELS, OPERATION_LABELS, vaultJob } from '@/lib/jobs/history';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function JobDetailsPage({ params }: { params: Promise<{ vaultId: string; jobId: string }> }) {
  const { vaultId, jobId } = await params;
  const { vault, svc } = await loadVaultTab(Promise.resolve({ vaultId }), 'jobs');
  const job = await vaultJob(svc.db, vault.id, jobId);
  if (!job) notFound();
  return (
    <>
      <LiveRefresh active={job.status === 'InProgress'} />
      <p className="mb-4 text-sm">
        <Link href={`/recovery-services/vaults/${vault.id}/jobs`} className="text-portal-blue underline">
          Jobs
        </Link>
      </p>
      <JobDetails
        job={{
          operation: OPERATION_LABELS[job.kind] ?? job.kind,
          status: JOB_STATUS_LABELS[job.status] ?? job.status,
          failed: job.status === 'Failed' || job.status === 'Cancelled',
          item: job.itemName,
          server: job.serverName,
          startedAt: job.startedAt.toUTCString(),
          endedAt: job.endedAt?.toUTCString() ?? null,
          durationSeconds: Math.max(
            0,
            Math.round(((job.endedAt ?? svc.clock.now()).getTime() - job.startedAt.getTime()) / 1000),
          ),
          dataTransferred: job.dataTransferred,
          files: job.filesTotal === null ? null : { done: job.filesDone ?? 0, total: job.filesTotal },
          bytes: job.bytesTotal === null ? null : { done: job.bytesDone ?? 0, total: job.bytesTotal },
          message: job.message,
          skipped: job.filesSkipped
            ? {
                count: job.filesSkipped,
                list: job.skippedList
                  ? {
                      point: { vaultId: vault.id, itemId: job.skippedList.itemId, pointId: job.skippedList.pointId },
                      listId: job.skippedList.listId,
                    }
                  : null,
              }
            : null,
        }}
      />
    </>
  );
}
