'use client';

import { useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { CloseIcon, DetailsIcon } from '@/components/icons';
import { ActionFeedback, SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { TableHead } from '@/components/table-head';
import { cancelJobAction } from '@/lib/jobs/actions';
import { type JobFigures, JobProgress } from './job-progress';

export type JobRowView = {
  id: string;
  operation: string;
  status: string;
  item: string;
  server: string;
  started: string;
  ended: string;
  dataTransferred: string;
  message: string;
  /** A running backup's live figures, when its agent has reported them. */
  figures: JobFigures | null;
};

/** JOBS' list: select a job for VIEW DETAILS or CANCEL (the server decides whether it can still be cancelled). */
export function JobsTable({ vaultId, jobs, canChange }: { vaultId: string; jobs: JobRowView[]; canChange: boolean }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const selected = jobs.find((j) => j.id === selectedId);
  const details = (id: string) => `/recovery-services/vaults/${vaultId}/jobs/${id}`;

  function cancel(job: JobRowView) {
    startTransition(async () => {
      const result = await cancelJobAction(vaultId, job.id);
      setFeedback({ ok: result.ok, text: result.message ?? '' });
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.refresh();
    });
  }

  return (
    <>
      <table className="w-full border-collapse text-sm">
        <TableHead
          columns={[null, 'OPERATION', 'STATUS', 'ITEM', 'SERVER', 'STARTED', 'ENDED', 'DATA TRANSFERRED', 'DETAILS']}
        />
        <tbody>
          {jobs.map((job) => (
            <SelectableRow
              key={job.id}
              group="job"
              label={`Select the job started ${job.started}${job.item === '—' ? '' : ` on ${job.item}`}`}
              selected={job.id === selectedId}
              onSelect={() => setSelectedId(job.id)}
              top
            >
              <td className="py-2 pr-4">
                <Link href={details(job.id)} className="text-portal-blue hover:underline">
                  {job.operation}
                </Link>
              </td>
              <td className="py-2 pr-4">{job.status}</td>
              <td className="max-w-64 break-all py-2 pr-4 font-mono text-[13px]">{job.item}</td>
              <td className="py-2 pr-4">{job.server}</td>
              <td className="py-2 pr-4">{job.started}</td>
              <td className="py-2 pr-4">{job.ended}</td>
              <td className="py-2 pr-4">{job.dataTransferred}</td>
              <td className="py-2 pr-4 text-portal-muted">
                {job.figures ? (
                  <JobProgress label={`${job.operation} of ${job.item}`} figures={job.figures} />
                ) : (
                  job.message
                )}
              </td>
            </SelectableRow>
          ))}
        </tbody>
      </table>
      <ActionFeedback feedback={feedback} />
      <CommandBarActions>
        <CommandButton
          label="VIEW DETAILS"
          icon={DetailsIcon}
          disabled={!selected}
          onClick={() => selected && router.push(details(selected.id))}
        />
        <CommandButton
          label="CANCEL"
          icon={CloseIcon}
          disabled={!canChange || !selected || pending}
          onClick={() => selected && cancel(selected)}
        />
      </CommandBarActions>
    </>
  );
}
