import { SingleBar } from 'cli-progress';
import { formatBytes } from '@/lib/format';
import type { ProgressReport } from '@/wire/protocol';
import { interruption, type TextOutput } from '../io';

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

export type Reporter = {
  /** Why the job must stop: the portal ended it (cancelled, timed out) or the agent was asked to stop; else undefined. */
  stopped(): string | undefined;
  /** Stops reporting, shows the last figures when the job went to its end, and waits for the report in flight. */
  finish(completed: boolean): Promise<void>;
};

/**
 * Reports a running job: at once, so it shows what it will do before the first byte, then about once a second, on
 * the view and to the portal. The portal's answer that the job ended, or the process being asked to stop, becomes
 * the reason the job stops at its next step.
 */
export function startReporting(options: {
  progress: Progress;
  view: ProgressView;
  transferred: () => number;
  send: (figures: ProgressReport) => Promise<unknown>;
  ended: (error: unknown) => string | undefined;
  signal?: AbortSignal;
  intervalMs?: number;
}): Reporter {
  const { progress, view, transferred, send, ended, signal } = options;
  let reason: string | undefined;
  const onAbort = () => {
    reason ??= `${interruption(signal!)}.`;
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);
  let reporting: Promise<void> = Promise.resolve();
  let sending = false;
  const report = () => {
    const figures = progress.report(transferred());
    view.update(figures);
    // A report still on its way (a portal slow to answer, or away) is not queued behind: the next one supersedes it.
    if (sending) return;
    sending = true;
    reporting = send(figures).then(
      () => {
        sending = false;
      },
      (error) => {
        sending = false;
        reason ??= ended(error);
      },
    );
  };
  report();
  const timer = setInterval(report, options.intervalMs ?? 1000);
  let finished = false;
  return {
    stopped: () => reason,
    async finish(completed) {
      if (finished) return reporting;
      finished = true;
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      if (completed) view.update(progress.report(transferred()));
      view.stop();
      await reporting;
    },
  };
}
