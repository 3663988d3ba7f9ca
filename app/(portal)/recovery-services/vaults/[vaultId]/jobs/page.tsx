import { TableHead } from '@/components/table-head';
import { TabEmpty } from '@/components/vaults/tab-empty';
import { OPERATION_LABELS, vaultJobs } from '@/lib/operations/history';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function JobsPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc } = await loadVaultTab(params, 'jobs');
  const jobs = await vaultJobs(svc.db, vault.id);
  if (jobs.length === 0) return <TabEmpty title="No jobs yet.">Jobs of this vault appear here.</TabEmpty>;
  return (
    <table className="w-full border-collapse text-sm">
      <TableHead columns={['OPERATION', 'STATUS', 'STARTED', 'ENDED', 'DETAILS']} />
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} className="border-b border-portal-line">
            <td className="py-2 pr-4">{OPERATION_LABELS[job.kind] ?? job.kind}</td>
            <td className="py-2 pr-4">{job.status === 'InProgress' ? 'In progress' : job.status}</td>
            <td className="py-2 pr-4">{job.startedAt.toUTCString()}</td>
            <td className="py-2 pr-4">{job.endedAt?.toUTCString() ?? '—'}</td>
            <td className="py-2 pr-4 text-portal-muted">{job.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
