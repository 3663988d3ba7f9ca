import { formatBytes, formatDuration } from '@/lib/format';
import { type ChartSeries, type ChartUnit, DailyChart } from './line-chart';

function show(value: number | null, unit: ChartUnit): string {
  if (value === null) return '—';
  return unit === 'bytes' ? formatBytes(value) : unit === 'seconds' ? formatDuration(value) : String(value);
}

/**
 * A chart as a `figure` named by its `figcaption`: uPlot draws it for the eye, and a table beside it gives a screen
 * reader the same numbers (day by day, one column per series).
 */
export function ChartFigure({
  name,
  days,
  series,
  unit,
  rightUnit,
  empty,
}: {
  name: string;
  days: string[];
  series: ChartSeries[];
  unit: ChartUnit;
  rightUnit?: ChartUnit;
  /** Said instead of the chart when there is nothing to draw. */
  empty?: string;
}) {
  const nothing = series.length === 0 || series.every((s) => s.values.every((v) => v === null));
  return (
    <figure className="min-w-0 border border-portal-line px-4 py-3">
      <figcaption className="mb-2 text-sm font-semibold">{name}</figcaption>
      {nothing && empty ? (
        <p className="py-8 text-center text-sm text-portal-muted">{empty}</p>
      ) : (
        <DailyChart days={days} series={series} unit={unit} rightUnit={rightUnit} />
      )}
      <table className="sr-only">
        <caption>{name}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {series.map((s) => (
              <th key={s.label} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {days.map((day, i) => (
            <tr key={day}>
              <th scope="row">{day}</th>
              {series.map((s) => (
                <td key={s.label}>{show(s.values[i] ?? null, s.right ? (rightUnit ?? unit) : unit)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
