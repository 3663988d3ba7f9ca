import { describe, expect, it } from 'vitest';
import { nextRunAfter, type Schedule } from '@/lib/schedule';
import type { RetentionPolicy } from './rules';
import { type PointTime, retentionOutcome, selectRetained } from './select';

const HOUR = 3_600_000;

/**
 * 400 days of an agent backing up on a schedule, with the retention job pruning after every backup and again at
 * odd hours, as the server does. Returns the points left at the end and checks, at every prune, that pruning as
 * you go keeps exactly what one selection over every point ever made would keep.
 */
function simulate(schedule: Schedule, policy: RetentionPolicy, start: string, days: number) {
  const made: PointTime[] = [];
  let kept: PointTime[] = [];
  const end = new Date(new Date(start).getTime() + days * 24 * HOUR);
  let now = new Date(start);
  const prune = (at: Date) => {
    const keep = selectRetained(kept, policy, at);
    kept = kept.filter((p) => keep.has(p.id));
    const oneShot = selectRetained(made, policy, at);
    expect(new Set(kept.map((p) => p.id))).toEqual(oneShot);
  };
  for (;;) {
    const run = nextRunAfter(schedule, now);
    if (run >= end) break;
    // A sweep at an hour with no backup, as the hourly job does.
    if (run.getTime() - now.getTime() > 3 * HOUR) prune(new Date(now.getTime() + 2 * HOUR));
    const point = { id: `p${made.length}`, takenAt: run };
    made.push(point);
    kept.push(point);
    now = new Date(run.getTime() + 5 * 60_000);
    prune(now);
  }
  return { kept, made, now };
}

const at = (day: string, time: string) => `${day}T${time}:00.000Z`;
const times = (points: PointTime[]) => points.map((p) => p.takenAt.toISOString()).sort();

describe('grandfather-father-son retention over 400 simulated days', () => {
  it('keeps 7 daily, 4 weekly, 12 monthly and 3 yearly points of a daily 22:00 schedule, exactly', () => {
    const { kept, made, now } = simulate(
      { frequency: 'Daily', days: [], times: [22 * 60] },
      { frequency: 'Daily', dailyDays: 7, weeklyWeeks: 4, monthlyMonths: 12, yearlyYears: 3 },
      '2025-01-01T00:00:00.000Z',
      400,
    );
    expect(made).toHaveLength(400);
    expect(now.toISOString()).toBe('2026-02-04T22:05:00.000Z');
    const expected = [
      // Yearly and monthly: the newest point of each month within 12 months (2025's last is also its yearly point).
      ...['02-28', '03-31', '04-30', '05-31', '06-30', '07-31', '08-31', '09-30', '10-31', '11-30', '12-31'].map((d) =>
        at(`2025-${d}`, '22:00'),
      ),
      // Weekly: the Sundays ending the last 4 weeks (1 February is also a daily point).
      ...['2026-01-11', '2026-01-18', '2026-01-25'].map((d) => at(d, '22:00')),
      // Daily: the last 7 days (31 January is also January's monthly point, 4 February 2026's yearly point).
      ...['01-29', '01-30', '01-31', '02-01', '02-02', '02-03', '02-04'].map((d) => at(`2026-${d}`, '22:00')),
    ];
    expect(times(kept)).toEqual(expected.sort());
  });

  it('keeps every point of a weekly schedule for its weeks, and the newest of each month for its months', () => {
    const { kept, made } = simulate(
      { frequency: 'Weekly', days: [1, 4], times: [2 * 60, 14 * 60 + 30] },
      { frequency: 'Weekly', dailyDays: null, weeklyWeeks: 3, monthlyMonths: 2, yearlyYears: null },
      '2025-01-01T00:00:00.000Z',
      400,
    );
    // Mondays and Thursdays, twice each: 114 runs in 400 days from a Wednesday.
    expect(made).toHaveLength(4 * 57);
    expect(times(kept)).toEqual(
      [
        at('2025-12-29', '14:30'),
        ...['2026-01-15', '2026-01-19', '2026-01-22', '2026-01-26', '2026-01-29', '2026-02-02'].flatMap((d) => [
          at(d, '02:00'),
          at(d, '14:30'),
        ]),
      ].sort(),
    );
  });

  it('keeps three points a day for the daily span', () => {
    const { kept } = simulate(
      { frequency: 'Daily', days: [], times: [0, 8 * 60 + 30, 16 * 60] },
      { frequency: 'Daily', dailyDays: 2, weeklyWeeks: null, monthlyMonths: null, yearlyYears: null },
      '2025-06-01T00:00:00.000Z',
      400,
    );
    expect(times(kept)).toEqual([
      at('2026-07-04', '00:00'),
      at('2026-07-04', '08:30'),
      at('2026-07-04', '16:00'),
      at('2026-07-05', '00:00'),
      at('2026-07-05', '08:30'),
      at('2026-07-05', '16:00'),
    ]);
  });
});

describe('selectRetained', () => {
  const daily30: RetentionPolicy = {
    frequency: 'Daily',
    dailyDays: 30,
    weeklyWeeks: null,
    monthlyMonths: null,
    yearlyYears: null,
  };

  it('always keeps the newest point, however old: an item whose backups stopped keeps one', () => {
    const points = [
      { id: 'a', takenAt: new Date('2020-01-01T22:00:00Z') },
      { id: 'b', takenAt: new Date('2020-01-02T22:00:00Z') },
    ];
    expect(selectRetained(points, daily30, new Date('2026-01-01T00:00:00Z'))).toEqual(new Set(['b']));
    expect(selectRetained([], daily30, new Date())).toEqual(new Set());
  });

  it('counts what a retention keeps and deletes, for the preview', () => {
    const now = new Date('2026-03-31T23:00:00Z');
    const points = Array.from({ length: 60 }, (_, i) => ({
      id: `p${i}`,
      takenAt: new Date(now.getTime() - (i * 24 + 1) * HOUR),
    }));
    expect(retentionOutcome(points, daily30, now)).toEqual({ kept: 30, deleted: 30 });
    expect(retentionOutcome(points, { ...daily30, dailyDays: 1 }, now)).toEqual({ kept: 1, deleted: 59 });
    // Month ends: 31 March (the newest), 28 February, 31 January within 3 months.
    expect(retentionOutcome(points, { ...daily30, dailyDays: 1, monthlyMonths: 3 }, now)).toEqual({
      kept: 3,
      deleted: 57,
    });
  });

  it('moves a month back to the shorter month’s last day', () => {
    const now = new Date('2026-03-31T12:00:00Z');
    const feb = { id: 'feb', takenAt: new Date('2026-02-28T13:00:00Z') };
    const early = { id: 'early', takenAt: new Date('2026-02-28T11:00:00Z') };
    const newest = { id: 'newest', takenAt: new Date('2026-03-31T11:00:00Z') };
    const policy = { ...daily30, dailyDays: 1, monthlyMonths: 1 };
    // One month before 31 March noon is 28 February noon: February's newest point (13:00) is inside.
    expect(selectRetained([early, feb, newest], policy, now)).toEqual(new Set(['feb', 'newest']));
  });
});

describe('schedules', () => {
  it('finds the next run strictly after a time, on the chosen days and half hours', () => {
    const daily: Schedule = { frequency: 'Daily', days: [], times: [22 * 60] };
    expect(nextRunAfter(daily, new Date('2026-03-01T21:59:59Z')).toISOString()).toBe('2026-03-01T22:00:00.000Z');
    expect(nextRunAfter(daily, new Date('2026-03-01T22:00:00Z')).toISOString()).toBe('2026-03-02T22:00:00.000Z');
    const weekly: Schedule = { frequency: 'Weekly', days: [0, 3], times: [90, 30] };
    // 1 March 2026 is a Sunday.
    expect(nextRunAfter(weekly, new Date('2026-03-01T01:00:00Z')).toISOString()).toBe('2026-03-01T01:30:00.000Z');
    expect(nextRunAfter(weekly, new Date('2026-03-01T02:00:00Z')).toISOString()).toBe('2026-03-04T00:30:00.000Z');
    expect(nextRunAfter(weekly, new Date('2026-03-04T01:30:00Z')).toISOString()).toBe('2026-03-08T00:30:00.000Z');
  });
});
