/**
 * Backup schedules: daily, or weekly on chosen days, at up to 3 UTC times on half hours. Pure and isomorphic: the
 * portal computes an item's next backup with it, the agent's service and the policy form show it.
 */

export type Frequency = 'Daily' | 'Weekly';

/** `days` are weekdays 0 (Sunday) to 6, for a weekly schedule; `times` minutes after midnight UTC. */
export type Schedule = { frequency: Frequency; days: number[]; times: number[] };

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

export const MAX_TIMES_PER_DAY = 3;

/** Every half hour of a day, as minutes after midnight: the times a schedule may use. */
export const HALF_HOURS: readonly number[] = Array.from({ length: 48 }, (_, i) => i * 30);

const DAY_MS = 86_400_000;

/** "22:00" for 1320. */
export function formatTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** 1320 for "22:00" or "22:00:00"; NaN for anything else. */
export function parseTime(text: string): number {
  const match = /^(\d{1,2}):(\d{2})(?::00)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  return hours < 24 && minutes < 60 ? hours * 60 + minutes : Number.NaN;
}

/** The first scheduled run strictly after `after`. */
export function nextRunAfter(schedule: Schedule, after: Date): Date {
  const times = [...schedule.times].sort((a, b) => a - b);
  const startOfDay = Math.floor(after.getTime() / DAY_MS) * DAY_MS;
  // A weekly schedule with at least one day runs within 8 days of any moment.
  for (let day = 0; day <= 8; day++) {
    const midnight = startOfDay + day * DAY_MS;
    if (schedule.frequency === 'Weekly' && !schedule.days.includes(new Date(midnight).getUTCDay())) continue;
    for (const minutes of times) {
      const run = midnight + minutes * 60_000;
      if (run > after.getTime()) return new Date(run);
    }
  }
  throw new Error('The schedule has no runs: a weekly schedule needs at least one day and every schedule a time.');
}

/** "Daily at 22:00 UTC", "Weekly on Monday, Thursday at 02:00, 14:30 UTC". */
export function describeSchedule(schedule: Schedule): string {
  const times = [...schedule.times]
    .sort((a, b) => a - b)
    .map(formatTime)
    .join(', ');
  if (schedule.frequency === 'Daily') return `Daily at ${times} UTC`;
  const days = [...schedule.days]
    .sort((a, b) => a - b)
    .map((d) => WEEKDAYS[d])
    .join(', ');
  return `Weekly on ${days} at ${times} UTC`;
}
