import { formatBytes, formatDuration } from '@/lib/format';
import { escapeHtml } from '@/lib/html/markup';
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
      <table
        className="sr-only"
        // biome-ignore lint/security/noDangerouslySetInnerHtml: built by tableHtml, every name escaped
        dangerouslySetInnerHTML={{ __html: tableHtml(name, days, series, unit, rightUnit) }}
      />
    </figure>
  );
}

/**
 * The chart's figures as a table's HTML (lib/html/markup.ts): a row per day, a column per series. One string rather
 * than elements, like the adherence grid: 90 days of three series would otherwise travel twice, as payload and HTML.
 */
function tableHtml(name: string, days: string[], series: ChartSeries[], unit: ChartUnit, rightUnit?: ChartUnit) {
  const heads = series.map((s) => `<th scope=col>${escapeHtml(s.label)}</th>`).join('');
  const rows = days
    .map((day, i) => {
      const cells = series
        .map((s) => `<td>${escapeHtml(show(s.values[i] ?? null, s.right ? (rightUnit ?? unit) : unit))}</td>`)
        .join('');
      return `<tr><th scope=row>${day}</th>${cells}</tr>`;
    })
    .join('');
  return `<caption>${escapeHtml(name)}</caption><thead><tr><th scope=col>Day</th>${heads}</tr></thead><tbody>${rows}</tbody>`;
}
