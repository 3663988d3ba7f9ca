import { ChartFigure } from '@/components/charts/chart-figure';
import type { JobsPerDay, StoragePerDay } from '@/lib/center/queries';

/** The DASHBOARD's charts for one vault: the Backup center's Jobs per day and Storage over time. */
export function VaultCharts({ jobs, storage }: { jobs: JobsPerDay; storage: StoragePerDay }) {
  const days = jobs.map((d) => d.day);
  return (
    <section aria-labelledby="vault-charts" className="lg:col-span-2">
      <h2 id="vault-charts" className="mb-4 text-xl font-light">
        the last {days.length} days
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">
        <ChartFigure
          name="Jobs per day"
          days={days}
          unit="count"
          series={[
            { label: 'Completed', values: jobs.map((d) => d.completed), color: '#107c10', style: 'bar' },
            { label: 'Failed', values: jobs.map((d) => d.failed), color: '#c50f1f', style: 'bar', stacked: true },
          ]}
        />
        <ChartFigure
          name="Storage over time"
          days={days}
          unit="bytes"
          rightUnit="bytes"
          series={[
            { label: 'Bytes stored', values: storage.map((d) => d.storedBytes), color: '#0072c6', style: 'line' },
            {
              label: 'Bytes added',
              values: storage.map((d) => d.addedBytes),
              color: '#9cc6ea',
              style: 'bar',
              right: true,
            },
          ]}
        />
      </div>
    </section>
  );
}
