// The schedule is read in the machine's local time: these tests run in a zone with summer time (set before any Date).
process.env.TZ = 'Europe/Berlin';

import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { exchange } from './connections';
import { UsageError } from './io';
import { type BucketClock, sliceOf, TokenBucket, writePaced } from './pace';
import {
  describeThrottle,
  isWorkTime,
  parseRate,
  parseThrottle,
  parseWorkHours,
  rateAt,
  throttleSettings,
  uploadPace,
} from './throttle';

const KB = 1024;
const MB = 1024 * 1024;

describe('throttle settings', () => {
  it.each([
    ['512KB/s', 512 * KB, '512KB/s'],
    ['10MB/s', 10 * MB, '10MB/s'],
    ['1.5MB/s', 1.5 * MB, '1.5MB/s'],
    ['2 mb/s', 2 * MB, '2MB/s'],
    ['1GiB/s', 1024 * MB, '1GB/s'],
    ['65536B/s', 64 * KB, '65536B/s'],
    ['Unlimited', Number.POSITIVE_INFINITY, 'unlimited'],
  ])('reads the rate %s', (text, rate, normalized) => {
    expect(parseRate(text)).toEqual({ rate, text: normalized });
  });

  it.each([
    ['10', 'must be a rate like 512KB/s'],
    ['10MB', 'must be a rate like 512KB/s'],
    ['10Mbps', 'must be a rate like 512KB/s'],
    ['-1MB/s', 'must be a rate like 512KB/s'],
    ['10 TB/s', 'must be a rate like 512KB/s'],
    ['', 'must be a rate like 512KB/s'],
    ['32KB/s', 'must be at least 64KB/s'],
    ['0MB/s', 'must be at least 64KB/s'],
  ])('refuses the rate %j on one line', (text, problem) => {
    const error = (() => {
      try {
        parseRate(text, '--work-rate');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message).toContain(`--work-rate ${problem}`);
    expect(error!.message).not.toContain('\n');
  });

  it.each([
    ['Mon-Fri 08:00-18:00', [1, 2, 3, 4, 5], 480, 1080, 'Mon-Fri 08:00-18:00'],
    ['mon,wed,FRI 9:00-17:30', [1, 3, 5], 540, 1050, 'Mon,Wed,Fri 09:00-17:30'],
    ['Sat-Sun 00:00-24:00', [0, 6], 0, 1440, 'Sat-Sun 00:00-24:00'],
    ['Fri-Mon 08:00-12:00', [0, 1, 5, 6], 480, 720, 'Fri-Mon 08:00-12:00'],
    ['Monday,Tue-Wed  22:00-06:00', [1, 2, 3], 1320, 360, 'Mon,Tue-Wed 22:00-06:00'],
  ])('reads the work hours %j', (text, days, start, end, normalized) => {
    const { workHours, text: out } = parseWorkHours(text);
    expect(workHours.days.flatMap((on, day) => (on ? [day] : []))).toEqual(days);
    expect([workHours.start, workHours.end, out]).toEqual([start, end, normalized]);
  });

  it.each([
    ['Mon-Fri', 'the days, a space, then the times'],
    ['08:00-18:00', 'the days, a space, then the times'],
    ['Mon-Fry 08:00-18:00', "'Mon-Fry' is not a day"],
    ['Mon-Tue-Wed 08:00-18:00', 'is not a day or a range of days'],
    ['Mon-Fri 08:00', 'times are HH:MM-HH:MM'],
    ['Mon-Fri 8-18', 'times are HH:MM-HH:MM'],
    ['Mon-Fri 08:00-25:00', 'times run from 00:00 to 24:00'],
    ['Mon-Fri 08:60-18:00', 'times run from 00:00 to 24:00'],
    ['Mon-Fri 24:00-08:00', 'times run from 00:00 to 24:00'],
    ['Mon-Fri 08:00-08:00', 'must end after they start'],
  ])('refuses the work hours %j on one line', (text, problem) => {
    expect(() => parseWorkHours(text)).toThrow(UsageError);
    expect(() => parseWorkHours(text)).toThrow(problem);
  });

  it('normalizes what is saved, and describes it on one line', () => {
    const settings = throttleSettings('mon-fri 8:00-18:00', '512 kb/s', 'UNLIMITED');
    expect(settings).toEqual({ workHours: 'Mon-Fri 08:00-18:00', workRate: '512KB/s', otherRate: 'unlimited' });
    expect(describeThrottle(settings)).toBe(
      'Upload throttle: 512KB/s Mon-Fri 08:00-18:00, unlimited at other times (local time)',
    );
    expect(describeThrottle(undefined)).toBe('Upload throttle: off');
  });

  it('refuses saved settings it cannot read, saying how to mend them', () => {
    expect(() => parseThrottle({ workHours: 'someday', workRate: '1MB/s', otherRate: '1MB/s' })).toThrow(
      /^The agent's upload throttle cannot be read \(.*\): set it again with `throttle`\.$/,
    );
  });
});

describe('the schedule, in local time', () => {
  const throttle = parseThrottle({ workHours: 'Mon-Fri 08:00-18:00', workRate: '512KB/s', otherRate: '10MB/s' });
  const local = (text: string) => new Date(text); // no zone: local time

  it.each([
    ['2026-12-07T08:00:00', true], // Monday, the first minute
    ['2026-12-07T07:59:59', false],
    ['2026-12-11T17:59:59', true], // Friday
    ['2026-12-11T18:00:00', false],
    ['2026-12-12T12:00:00', false], // Saturday
    ['2026-12-06T12:00:00', false], // Sunday
  ])('at %s local time, work hours: %s', (at, work) => {
    expect(isWorkTime(throttle.workHours, local(at))).toBe(work);
    expect(rateAt(throttle, local(at))).toBe(work ? 512 * KB : 10 * MB);
  });

  it('follows the wall clock across summer time (Europe/Berlin, 29 March 2026)', () => {
    // Friday before the change, 08:30 CET = 07:30 UTC; Monday after it, 08:30 CEST = 06:30 UTC.
    expect(isWorkTime(throttle.workHours, new Date('2026-03-27T07:30:00Z'))).toBe(true);
    expect(isWorkTime(throttle.workHours, new Date('2026-03-27T06:30:00Z'))).toBe(false);
    expect(isWorkTime(throttle.workHours, new Date('2026-03-30T06:30:00Z'))).toBe(true);
    expect(isWorkTime(throttle.workHours, new Date('2026-03-30T05:30:00Z'))).toBe(false);
    // And back (25 October 2026): 17:59 CET is 16:59 UTC.
    expect(isWorkTime(throttle.workHours, new Date('2026-10-26T16:59:00Z'))).toBe(true);
    expect(isWorkTime(throttle.workHours, new Date('2026-10-26T17:00:00Z'))).toBe(false);
  });

  it('runs hours past midnight into the morning after each of the days', () => {
    const nights = parseWorkHours('Fri 22:00-06:00').workHours;
    expect(isWorkTime(nights, local('2026-12-11T23:00:00'))).toBe(true); // Friday night
    expect(isWorkTime(nights, local('2026-12-12T05:59:00'))).toBe(true); // Saturday morning
    expect(isWorkTime(nights, local('2026-12-12T06:00:00'))).toBe(false);
    expect(isWorkTime(nights, local('2026-12-12T23:00:00'))).toBe(false); // Saturday night
    expect(isWorkTime(nights, local('2026-12-11T05:00:00'))).toBe(false); // Friday morning (Thursday night)
  });

  it('is no pace at all without a throttle, or when both rates are unlimited', () => {
    const now = () => new Date();
    expect(uploadPace(undefined, now)).toBeUndefined();
    expect(
      uploadPace({ workHours: 'Mon-Fri 08:00-18:00', workRate: 'unlimited', otherRate: 'unlimited' }, now),
    ).toBeUndefined();
    const pace = uploadPace({ workHours: 'Mon-Fri 08:00-18:00', workRate: '512KB/s', otherRate: 'unlimited' }, () =>
      local('2026-12-07T09:00:00'),
    );
    expect(pace?.rate()).toBe(512 * KB);
    // Uploads of at most 20 s of the lowest rate (at least 1 MiB).
    expect(pace?.postLimit).toBe(10 * MB);
  });
});

/** A simulated clock: a sleep moves time on by its length (and `late` ms more, as a busy machine's timers are). */
function simulatedClock(late = () => 0): BucketClock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms + late();
    },
  };
  return clock;
}

/** Bytes taken in every 10 s window (stepped by 100 ms) from `from` to `to`. */
function windows(takes: Array<{ at: number; bytes: number }>, from: number, to: number, span = 10_000) {
  const sums: number[] = [];
  for (let start = from; start + span <= to; start += 100) {
    sums.push(takes.filter((take) => take.at >= start && take.at < start + span).reduce((s, t) => s + t.bytes, 0));
  }
  return sums;
}

describe('the token bucket', () => {
  it.each([
    ['512KB/s', 512 * KB, 0],
    ['2MB/s', 2 * MB, 0],
    ['2MB/s with timers late by up to 30 ms', 2 * MB, 30],
    ['100MB/s', 100 * MB, 5],
  ])('keeps a saturated sender of %s within 10 percent over any 10 s window', async (_name, rate, lateMs) => {
    let seed = 7;
    const clock = simulatedClock(() => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647) * lateMs;
    });
    const bucket = new TokenBucket(() => rate, clock);
    const takes: Array<{ at: number; bytes: number }> = [];
    // Three connections, as a backup has, each sending slices as fast as the bucket lets it.
    const connection = async () => {
      while (clock.t < 30_000) {
        const size = sliceOf(rate);
        await bucket.take(size);
        takes.push({ at: clock.t, bytes: size });
      }
    };
    await Promise.all([connection(), connection(), connection()]);
    const sums = windows(takes, 0, 30_000);
    expect(Math.max(...sums)).toBeLessThanOrEqual(1.1 * rate * 10);
    expect(Math.min(...sums)).toBeGreaterThanOrEqual(0.9 * rate * 10);
  });

  it('follows the rate when it changes mid-way (work hours ending), within 10 % on either side', async () => {
    const clock = simulatedClock();
    const low = 512 * KB;
    const high = 4 * MB;
    const bucket = new TokenBucket(() => (clock.t < 30_000 ? low : high), clock);
    const takes: Array<{ at: number; bytes: number }> = [];
    while (clock.t < 60_000) {
      const size = sliceOf(bucket.rate());
      await bucket.take(size);
      takes.push({ at: clock.t, bytes: size });
    }
    const before = windows(takes, 0, 30_000);
    const after = windows(takes, 30_000, 60_000);
    expect(Math.max(...before)).toBeLessThanOrEqual(1.1 * low * 10);
    expect(Math.min(...before)).toBeGreaterThanOrEqual(0.9 * low * 10);
    expect(Math.max(...after)).toBeLessThanOrEqual(1.1 * high * 10);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(0.9 * high * 10);
  });

  it('lets everything through at once while unlimited, and limits again from a bucket of at most 0.5 s', async () => {
    const clock = simulatedClock();
    let rate = Number.POSITIVE_INFINITY;
    const bucket = new TokenBucket(() => rate, clock);
    for (let i = 0; i < 1000; i++) await bucket.take(1024 * 1024);
    expect(clock.t).toBe(0);
    rate = 1 * MB;
    let sent = 0;
    while (clock.t < 1000) {
      await bucket.take(sliceOf(rate));
      sent += sliceOf(rate);
    }
    // 1 s at 1 MB/s, plus the bucket's 0.5 s.
    expect(sent).toBeLessThanOrEqual(1.5 * MB + sliceOf(rate));
  });

  it('stops waiting when its signal is aborted', async () => {
    const bucket = new TokenBucket(() => 64 * KB);
    await bucket.take(32 * KB);
    const stop = new AbortController();
    const waiting = bucket.take(64 * KB, stop.signal);
    stop.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    // The bucket goes on serving the others.
    await bucket.take(1);
  });
});

describe('a paced body on a real socket', () => {
  it('arrives no faster than the limit, all of it, in order', async () => {
    const received: Array<{ at: number; bytes: number }> = [];
    const chunks: Buffer[] = [];
    const server = net.createServer((socket) =>
      socket.on('data', (data) => {
        received.push({ at: performance.now(), bytes: data.length });
        chunks.push(data);
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const rate = 512 * KB;
    const body = [Buffer.alloc(300 * KB, 1), Buffer.alloc(1, 2), Buffer.alloc(500 * KB, 3)];
    const bucket = new TokenBucket(() => rate);
    const started = performance.now();
    await writePaced(socket, body, { rate: () => rate, take: (n, s) => bucket.take(n, s) }, () => true);
    while (chunks.reduce((s, c) => s + c.length, 0) < 800 * KB + 1) await new Promise((r) => setTimeout(r, 10));
    const elapsed = (received.at(-1)!.at - started) / 1000;
    socket.destroy();
    server.close();
    expect(Buffer.concat(chunks).equals(Buffer.concat(body))).toBe(true);
    // 800 KiB at 512 KiB/s, the first 256 KiB from the full bucket: at least (800 - 256) / 512 s.
    expect(elapsed).toBeGreaterThanOrEqual(((800 - 256) / 512) * 0.95);
  });
});

describe('a throttled exchange on the agent’s own connections', () => {
  it('answered before its body is all written, closes its connection rather than reuse it', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      let answered = false;
      socket.on('data', () => {
        if (answered) return;
        answered = true;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const target = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/objects`);
    const rate = 64 * KB;
    const bucket = new TokenBucket(() => rate);
    const pace = { rate: () => rate, take: (n: number, s?: AbortSignal) => bucket.take(n, s) };
    const first = await exchange(target, {
      path: '/objects',
      headers: {},
      parts: [Buffer.alloc(MB)],
      timeoutMs: 5000,
      pace,
    });
    expect(`${first.body}`).toBe('ok');
    const second = await exchange(target, { path: '/other', headers: {}, parts: [Buffer.from('{}')], timeoutMs: 5000 });
    expect(`${second.body}`).toBe('ok');
    expect(connections).toBe(2);
    server.close();
  });
});
