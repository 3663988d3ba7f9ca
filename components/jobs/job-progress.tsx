import { formatBytes, formatDuration } from '@/lib/format';

export type JobFigures = {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
};

/** A running job's bar and figures: bytes done of total, files, speed and time left, as its agent last reported. */
export function JobProgress({ label, figures }: { label: string; figures: JobFigures }) {
  const percent =
    figures.bytesTotal > 0 ? Math.min(100, Math.floor((figures.bytesDone / figures.bytesTotal) * 100)) : 0;
  const text = `${formatBytes(figures.bytesDone)} of ${formatBytes(figures.bytesTotal)}, ${figures.filesDone.toLocaleString('en-US')} of ${figures.filesTotal.toLocaleString('en-US')} files, ${formatBytes(figures.bytesPerSecond ?? 0)}/s, ${formatDuration(figures.secondsLeft)} left`;
  return (
    <div className="min-w-56">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={text}
        className="h-1.5 w-full bg-portal-line"
      >
        <div className="h-full bg-portal-blue transition-[width] duration-700" style={{ width: `${percent}%` }} />
      </div>
      <p className="mt-1 text-xs text-portal-muted">{text}</p>
    </div>
  );
}
