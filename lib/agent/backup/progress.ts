import { SingleBar } from 'cli-progress';
import { formatBytes } from '@/lib/format';
import type { TextOutput } from '../io';
import type { ProgressReport } from '../protocol';

export type Totals = { bytesTotal: number; filesTotal: number };

const WINDOW_MS = 5_000;

/** Bytes, files, speed over the last few seconds, and the time left at that speed. */
export class Progress {
  bytesDone = 0;
  filesDone = 0;
  private samples: Array<{ at: number; bytes: number }> = [];

  constructor(
    readonly totals: Totals,
    private readonly now: () => number = Date.now,
  ) {
    this.samples.push({ at: now(), bytes: 0 });
  }

  report(dataTransferred: number): ProgressReport {
    const at = this.now();
    this.samples.push({ at, bytes: this.bytesDone });
    while (this.samples.length > 2 && at - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.round((this.bytesDone - first.bytes) / seconds) : 0;
    const left = Math.max(0, this.totals.bytesTotal - this.bytesDone);
    return {
      bytesDone: this.bytesDone,
      bytesTotal: this.totals.bytesTotal,
      filesDone: this.filesDone,
      filesTotal: this.totals.filesTotal,
      bytesPerSecond,
      secondsLeft: bytesPerSecond > 0 ? Math.ceil(left / bytesPerSecond) : left === 0 ? 0 : null,
      dataTransferred,
    };
  }
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '--:--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** Where a backup's progress is shown: a bar on a terminal, a JSON object per line with --json, or nothing. */
export type ProgressView = { update(report: ProgressReport): void; stop(): void };

export function progressView(mode: 'bar' | 'json' | 'none', label: string, output: TextOutput): ProgressView {
  if (mode === 'json') {
    return {
      update: (report) => output.write(`${JSON.stringify({ event: 'progress', item: label, ...report })}\n`),
      stop: () => {},
    };
  }
  if (mode === 'none') return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {done} of {total} | {files} files | {speed}/s | {eta} left`,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    stream: output as NodeJS.WritableStream,
  });
  let started = false;
  return {
    update(report) {
      const payload = {
        done: formatBytes(report.bytesDone),
        total: formatBytes(report.bytesTotal),
        files: `${report.filesDone.toLocaleString('en-US')}/${report.filesTotal.toLocaleString('en-US')}`,
        speed: formatBytes(report.bytesPerSecond),
        eta: formatSeconds(report.secondsLeft),
      };
      const total = Math.max(report.bytesTotal, 1);
      if (!started) {
        bar.start(total, Math.min(report.bytesDone, total), payload);
        started = true;
      } else bar.update(Math.min(report.bytesDone, total), payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
