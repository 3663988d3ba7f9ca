import { ChartFigure } from '@/components/charts/chart-figure';
import type { JobsPerDay, StoragePerDay } from '@/lib/center/queries';

/** Jobs per day: Completed and Failed backups and restores, stacked. */
export function JobsPerDayFigure({ jobs }: { jobs: JobsPerDay }) {
  return (
    <ChartFigure
      name="Jobs per day"
      days={jobs.map((d) => d.day)}
      unit="count"
      series={[
        { label: 'Completed', values: jobs.map((d) => d.completed), color: '#107c10', style: 'bar' },
        { label: 'Failed', values: jobs.map((d) => d.failed), color: '#c50f1f', style: 'bar', stacked: true },
      ]}
    />
  );
}

/** Storage over time: the bytes stored at each day's end (a line), and the bytes added that day (bars, right scale). */
export function StorageFigure({ storage }: { storage: StoragePerDay }) {
  return (
    <ChartFigure
      name="Storage over time"
      days={storage.map((d) => d.day)}
      unit="bytes"
      rightUnit="bytes"
      series={[
        { label: 'Bytes stored', values: storage.map((d) => d.storedBytes), color: '#0072c6', style: 'line' },
        { label: 'Bytes added', values: storage.map((d) => d.addedBytes), color: '#9cc6ea', style: 'bar', right: true },
      ]}
    />
  );
}

/** The DASHBOARD's charts for one vault: the Backup center's Jobs per day and Storage over time. */
export function VaultCharts({ jobs, storage }: { jobs: JobsPerDay; storage: StoragePerDay }) {
  return (
    <section aria-labelledby="vault-charts" className="lg:col-span-2">
      <h2 id="vault-charts" className="mb-4 text-xl font-light">
        the last {jobs.length} days
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">
        <JobsPerDayFigure jobs={jobs} />
        <StorageFigure storage={storage} />
      </div>
    </section>
  );
}
