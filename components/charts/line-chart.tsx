'use client';

import { useEffect, useRef } from 'react';
import 'uplot/dist/uPlot.min.css';
import { formatBytes, formatDuration } from '@/lib/format';

export type ChartUnit = 'count' | 'bytes' | 'seconds';

export type ChartSeries = {
  label: string;
  values: (number | null)[];
  color: string;
  style: 'bar' | 'line';
  /** Bars stacked on the previous bar series (drawn as their running total, labelled with their own values). */
  stacked?: boolean;
  /** A second scale on the right, for a series of another magnitude (bytes added beside bytes stored). */
  right?: boolean;
  /** Marks each value (for sparse lines, whose days apart would not draw a segment). */
  points?: boolean;
};

function formatter(unit: ChartUnit): (value: number) => string {
  if (unit === 'bytes') return (v) => formatBytes(Math.max(0, Math.round(v)));
  if (unit === 'seconds') return (v) => (v < 60 ? `${Math.max(0, +v.toFixed(1))} s` : formatDuration(Math.round(v)));
  return (v) => String(Math.round(v));
}

/**
 * A chart of daily figures drawn by uPlot (loaded after the page: it is not part of the first load), sized to its
 * container. Decorative for assistive technology: the figure's table beside it carries the same numbers.
 */
export function DailyChart({
  days,
  series,
  unit,
  rightUnit,
  height = 220,
}: {
  days: string[];
  series: ChartSeries[];
  unit: ChartUnit;
  rightUnit?: ChartUnit;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([days, series, unit, rightUnit, height]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the chart is rebuilt when its figures (key) change
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let disposed = false;
    let plot: { destroy(): void; setSize(size: { width: number; height: number }): void } | undefined;
    let observer: ResizeObserver | undefined;
    void import('uplot').then(({ default: UPlot }) => {
      if (disposed) return;
      const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
      // Stacked bars: each drawn as the running total of its stack, behind the ones below it.
      const totals: (number | null)[][] = [];
      series.forEach((s, i) => {
        const below = s.stacked && i > 0 ? totals[i - 1]! : null;
        totals.push(s.values.map((v, j) => (below ? (below[j] ?? 0) + (v ?? 0) : v)));
      });
      const order = series
        .map((_, i) => i)
        .sort((a, b) => Number(series[b]!.stacked ?? 0) - Number(series[a]!.stacked ?? 0));
      const bars = UPlot.paths.bars?.({ size: [0.7, 40], gap: 1 });
      const format = formatter(unit);
      const formatRight = formatter(rightUnit ?? unit);
      plot = new UPlot(
        {
          width: element.clientWidth || 480,
          height,
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
          scales: {
            // Half a day either side, so the first and last days' bars are whole.
            x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
            y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
            y2: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
          },
          axes: [
            { stroke: '#595959', grid: { stroke: '#eeeeee' } },
            { stroke: '#595959', grid: { stroke: '#eeeeee' }, size: 70, values: (_u, ticks) => ticks.map(format) },
            ...(rightUnit
              ? [
                  {
                    scale: 'y2',
                    side: 1,
                    stroke: '#595959',
                    grid: { show: false },
                    size: 70,
                    values: (_u: unknown, ticks: number[]) => ticks.map(formatRight),
                  },
                ]
              : []),
          ],
          series: [
            { value: (_u, v) => (v === null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
            ...order.map((i) => {
              const s = series[i]!;
              return {
                label: s.label,
                stroke: s.color,
                fill: s.style === 'bar' ? s.color : undefined,
                width: s.style === 'bar' ? 0 : 2,
                scale: s.right ? 'y2' : 'y',
                paths: s.style === 'bar' ? bars : undefined,
                points: { show: s.points === true, size: 6 },
                spanGaps: false,
                // The legend shows the series' own value, not its stack's total.
                value: (_u: unknown, _v: number | null, _s: number, idx: number | null) =>
                  idx === null || s.values[idx] === null || s.values[idx] === undefined
                    ? '—'
                    : (s.right ? formatRight : format)(s.values[idx]!),
              };
            }),
          ],
        },
        [xs, ...order.map((i) => totals[i]!)],
        element,
      );
      observer = new ResizeObserver(() => plot?.setSize({ width: element.clientWidth || 480, height }));
      observer.observe(element);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [key]);
  return <div ref={box} aria-hidden="true" className="min-h-[220px] w-full" />;
}
