import { type AgentContext, UsageError } from './io';
import { registeredState } from './machine';
import { type BucketClock, type Rate, TokenBucket, type UploadPace } from './pace';
import { type ThrottleSettings, writeState } from './state';

export type { ThrottleSettings };

export type WorkHours = {
  /** Indexed by Date.getDay(): 0 is Sunday. The day a period of work hours starts on. */
  days: boolean[];
  /** Minutes after local midnight; `end` may be 1440 (24:00), and below `start` for hours running past midnight. */
  start: number;
  end: number;
};

export type Throttle = { workHours: WorkHours; workRate: Rate; otherRate: Rate };

/** A kilobyte is 1024 bytes, as the portal shows sizes (lib/format's formatBytes). */
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};
const UNIT_NAMES: Record<string, string> = { b: 'B', kb: 'KB', kib: 'KB', mb: 'MB', mib: 'MB', gb: 'GB', gib: 'GB' };
/**
 * The lowest limit the agent takes, as the classic agent's 512 Kbps: slower, a batch of uploads would outlast the
 * portal's time for receiving one request.
 */
export const MIN_RATE = 64 * 1024;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** `512KB/s`, `1.5MB/s`, `10 MiB/s`, `unlimited`: bytes per second (Infinity), or a one-line error. */
export function parseRate(text: string, option = 'RATE'): { rate: Rate; text: string } {
  const trimmed = text.trim();
  if (/^unlimited$/i.test(trimmed)) return { rate: Number.POSITIVE_INFINITY, text: 'unlimited' };
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*\/\s*s$/i.exec(trimmed);
  const unit = match?.[2]?.toLowerCase();
  if (!match || !unit || !(unit in UNITS)) {
    throw new UsageError(`${option} must be a rate like 512KB/s, 10MB/s or unlimited, not '${text}'.`);
  }
  const rate = Math.floor(Number(match[1]) * UNITS[unit]!);
  if (rate < MIN_RATE) throw new UsageError(`${option} must be at least 64KB/s (or unlimited), not '${text}'.`);
  return { rate, text: `${Number(match[1])}${UNIT_NAMES[unit]}/s` };
}

/**
 * `Mon-Fri 08:00-18:00`, `Mon,Wed,Fri 09:00-17:30`, `Sat-Sun 00:00-24:00`, `Mon-Fri 22:00-06:00` (past midnight: the
 * night that starts on each of the days): the work hours, or a one-line error.
 */
export function parseWorkHours(text: string): { workHours: WorkHours; text: string } {
  const bad = (why: string) =>
    new UsageError(`--work-hours must be days and times like "Mon-Fri 08:00-18:00" (${why}), not '${text}'.`);
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 2) throw bad('the days, a space, then the times');
  const [dayText, timeText] = fields as [string, string];
  const days = new Array<boolean>(7).fill(false);
  const dayNames: string[] = [];
  for (const token of dayText.split(',')) {
    const ends = token.split('-');
    if (ends.length > 2) throw bad(`'${token}' is not a day or a range of days`);
    const [from, to] = ends.map((name) => dayOf(name)) as [number | undefined, number | undefined];
    if (from === undefined || (ends.length === 2 && to === undefined)) throw bad(`'${token}' is not a day or a range`);
    const last = to ?? from;
    for (let day = from; ; day = (day + 1) % 7) {
      days[day] = true;
      if (day === last) break;
    }
    dayNames.push(ends.length === 2 ? `${DAYS[from]}-${DAYS[last]}` : DAYS[from]!);
  }
  const times = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(timeText);
  if (!times) throw bad('times are HH:MM-HH:MM');
  const [, sh, sm, eh, em] = times.map(Number) as [number, number, number, number, number];
  if (sh > 23 || sm > 59 || eh > 24 || em > 59 || (eh === 24 && em !== 0)) throw bad('times run from 00:00 to 24:00');
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  if (start === end) throw bad('the work hours must end after they start');
  const hhmm = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return { workHours: { days, start, end }, text: `${dayNames.join(',')} ${hhmm(start)}-${hhmm(end)}` };
}

function dayOf(name: string): number | undefined {
  const lower = name.toLowerCase();
  const index = FULL_DAYS.findIndex((full) => lower === full || lower === full.slice(0, 3));
  return index < 0 ? undefined : index;
}

/** The settings typed on the command line, checked and normalized. */
export function throttleSettings(workHours: string, workRate: string, otherRate: string): ThrottleSettings {
  return {
    workHours: parseWorkHours(workHours).text,
    workRate: parseRate(workRate, '--work-rate').text,
    otherRate: parseRate(otherRate, '--other-rate').text,
  };
}

/** The saved settings, read again; a one-line error when they were edited into something the agent cannot read. */
export function parseThrottle(settings: ThrottleSettings): Throttle {
  try {
    return {
      workHours: parseWorkHours(settings.workHours).workHours,
      workRate: parseRate(settings.workRate).rate,
      otherRate: parseRate(settings.otherRate).rate,
    };
  } catch (error) {
    throw new Error(
      `The agent's upload throttle cannot be read (${(error as Error).message}): set it again with \`throttle\`.`,
    );
  }
}

/** Whether the local time of `at` (Date's local getters: the machine's time zone, summer time included) is work. */
export function isWorkTime(hours: WorkHours, at: Date): boolean {
  const day = at.getDay();
  const minute = at.getHours() * 60 + at.getMinutes();
  if (hours.start < hours.end) return hours.days[day]! && minute >= hours.start && minute < hours.end;
  // Past midnight: the evening of a work day, or the morning after one.
  return (hours.days[day]! && minute >= hours.start) || (hours.days[(day + 6) % 7]! && minute < hours.end);
}

/** The limit at `at`. */
export function rateAt(throttle: Throttle, at: Date): Rate {
  return isWorkTime(throttle.workHours, at) ? throttle.workRate : throttle.otherRate;
}

/** One line for `status` and `throttle`. */
export function describeThrottle(settings: ThrottleSettings | undefined): string {
  if (!settings) return 'Upload throttle: off';
  return `Upload throttle: ${settings.workRate} ${settings.workHours}, ${settings.otherRate} at other times (local time)`;
}

/** `throttle`: saves the upload throttle (or removes it with `off`), and says what it now is. */
export async function changeThrottle(
  options: { stateDir: string; settings?: ThrottleSettings | 'off' },
  ctx: Pick<AgentContext, 'stdout'>,
): Promise<void> {
  const state = await registeredState(options.stateDir);
  const settings = options.settings === 'off' ? undefined : (options.settings ?? state.throttle);
  if (options.settings) await writeState(options.stateDir, { ...state, throttle: settings });
  ctx.stdout.write(`${describeThrottle(settings)}.\n`);
}

export type BackupPace = UploadPace & { postLimit: number };

/**
 * The pace of a backup's uploads under the saved throttle, following `localNow` (the agent's clock, read in local
 * time) as it goes: the limit changes mid-backup when work hours start or end. None when no throttle is saved or both
 * rates are unlimited: uploads then go as they always did, with nothing in their way.
 */
export function uploadPace(
  settings: ThrottleSettings | undefined,
  localNow: () => Date,
  clock?: BucketClock,
): BackupPace | undefined {
  if (!settings) return undefined;
  const throttle = parseThrottle(settings);
  const lowest = Math.min(throttle.workRate, throttle.otherRate);
  if (!Number.isFinite(lowest)) return undefined;
  const bucket = new TokenBucket(() => rateAt(throttle, localNow()), clock);
  return {
    rate: bucket.rate,
    take: (bytes, signal) => bucket.take(bytes, signal),
    // An upload of at most 20 s of the lowest rate (three share the bucket): well within the time the portal gives a
    // request, even when the limit falls while it is on its way.
    postLimit: Math.max(1024 * 1024, Math.floor(lowest * 20)),
  };
}
