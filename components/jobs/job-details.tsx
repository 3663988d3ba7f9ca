import type { PointAddress } from '@/components/recovery/point-reader';
import { Facts } from '@/components/vaults/facts';
import { formatBytes, formatDuration } from '@/lib/format';
import { AGENT_MESSAGES } from '@/wire/protocol';
import { SkippedFiles } from './skipped-files';

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
  /**
   * A backup that completed but could not read some files: how many, and where their (encrypted) list is read from;
   * null once no recovery point holds the list any more.
   */
  skipped?: { count: number; list: { point: PointAddress; listId: string } | null } | null;
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
      {job.skipped && (
        <section aria-labelledby="skipped-files" className="mt-8">
          <h3 id="skipped-files" className="mb-2 text-lg font-light">
            Skipped files
          </h3>
          <p className="mb-4 text-sm">{AGENT_MESSAGES.skippedFiles(job.skipped.count)}</p>
          {job.skipped.list ? (
            <>
              <p className="mb-4 text-sm text-portal-muted">
                Their names are encrypted: enter the passphrase of the server to read them here, in your browser.
              </p>
              <SkippedFiles point={job.skipped.list.point} listId={job.skipped.list.listId} />
            </>
          ) : (
            <p className="text-sm text-portal-muted">
              Their list is no longer available: the recovery point this backup made was deleted.
            </p>
          )}
        </section>
      )}
    </section>
  );
}
