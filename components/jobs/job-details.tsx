import { Facts } from '@/components/vaults/facts';
import { formatBytes, formatDuration } from '@/lib/format';

export type JobDetailsView = {
  operation: string;
  status: string;
  failed: boolean;
  item: string | null;
  server: string | null;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number;
  dataTransferred: number | null;
  files: { done: number; total: number } | null;
  bytes: { done: number; total: number } | null;
  message: string;
};

/** A job's details: what it worked on, when, how long, how much travelled, and what went wrong if anything. */
export function JobDetails({ job }: { job: JobDetailsView }) {
  return (
    <section aria-labelledby="job-details" className="max-w-3xl">
      <h2 id="job-details" className="mb-4 text-xl font-light">
        job details
      </h2>
      <Facts
        items={[
          ['Operation', job.operation],
          ['Status', job.status],
          ['Item', job.item ?? '—'],
          ['Server', job.server ?? '—'],
          ['Started', job.startedAt],
          ['Ended', job.endedAt ?? '—'],
          ['Duration', formatDuration(job.durationSeconds)],
          ['Data transferred', job.dataTransferred === null ? '—' : formatBytes(job.dataTransferred)],
          [
            'Files',
            job.files ? `${job.files.done.toLocaleString('en-US')} of ${job.files.total.toLocaleString('en-US')}` : '—',
          ],
          ['Size', job.bytes ? `${formatBytes(job.bytes.done)} of ${formatBytes(job.bytes.total)}` : '—'],
          [
            'Errors',
            job.failed ? (
              <span key="errors" className="text-portal-red">
                {job.message}
              </span>
            ) : (
              'None'
            ),
          ],
          ['Message', job.message],
        ]}
      />
    </section>
  );
}
