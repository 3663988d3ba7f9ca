import { describe, expect, it } from 'vitest';
import { Interrupted } from './io';
import { PortalRefusal, refusal, unreachable } from './portal';
import { PortalUnavailable, type RetryPolicy, transientFailure, withRetries } from './retry';

const QUICK: RetryPolicy = { budgetMs: 2_000, firstDelayMs: 20, maxDelayMs: 100 };
const URL = 'http://portal.test';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

describe('which failures are worth waiting out', () => {
  it('tells a request the portal never received from one it may have acted on, and both from lasting failures', () => {
    expect(transientFailure(fetchFailed(coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED')))).toBe('no');
    expect(
      transientFailure(fetchFailed(new AggregateError([coded('connect ECONNREFUSED ::1:1', 'ECONNREFUSED')]))),
    ).toBe('no');
    expect(transientFailure(coded('read ECONNRESET', 'ECONNRESET'))).toBe('maybe');
    expect(transientFailure(fetchFailed(coded('other side closed', 'UND_ERR_SOCKET')))).toBe('maybe');
    expect(transientFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      'maybe',
    );
    expect(transientFailure(fetchFailed(coded('getaddrinfo ENOTFOUND portal.test', 'ENOTFOUND')))).toBeUndefined();
    expect(transientFailure(new Error('connection refused'))).toBeUndefined();
  });

  it("reads the portal's answers: 502/503/504 are waited out, a structured error is shown as it is", () => {
    const busy = refusal(URL, 503, 'Service Unavailable', undefined);
    expect(busy).toBeInstanceOf(PortalUnavailable);
    expect(busy).toMatchObject({
      delivered: 'no',
      message: `The portal at ${URL} answered HTTP 503 Service Unavailable`,
    });
    expect(refusal(URL, 502, 'Bad Gateway', undefined)).toMatchObject({ delivered: 'maybe' });
    expect(refusal(URL, 504, 'Gateway Timeout', undefined)).toMatchObject({ delivered: 'maybe' });
    const full = refusal(URL, 507, '', { error: { code: 'bad_request', message: 'The vault storage is full.' } });
    expect(full).toBeInstanceOf(PortalRefusal);
    expect(full.message).toBe('The vault storage is full.');
    expect(refusal(URL, 500, 'Internal Server Error', undefined)).not.toBeInstanceOf(PortalUnavailable);
    expect(unreachable(URL, fetchFailed(coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'))).message).toBe(
      `Could not reach the portal at ${URL}: connect ECONNREFUSED 127.0.0.1:1`,
    );
  });
});

describe('withRetries', () => {
  /** An attempt that fails `times` times with `error`, then answers. */
  function flaky(times: number, error: () => Error) {
    const calls = { count: 0 };
    const attempt = async () => {
      calls.count += 1;
      if (calls.count <= times) throw error();
      return 'answer';
    };
    return { calls, attempt };
  }

  it('repeats a call the portal may have received only when it is safe to repeat', async () => {
    const maybe = () => new PortalUnavailable('reset', 'maybe');
    const safe = flaky(3, maybe);
    expect(await withRetries(safe.attempt, { policy: QUICK, repeat: 'always' })).toBe('answer');
    expect(safe.calls.count).toBe(4);
    const start = flaky(3, maybe);
    await expect(withRetries(start.attempt, { policy: QUICK, repeat: 'unsent' })).rejects.toThrow('reset');
    expect(start.calls.count).toBe(1);
    const refused = flaky(3, () => new PortalUnavailable('refused', 'no'));
    expect(await withRetries(refused.attempt, { policy: QUICK, repeat: 'unsent' })).toBe('answer');
    const lasting = flaky(3, () => new Error('not transient'));
    await expect(withRetries(lasting.attempt, { policy: QUICK, repeat: 'always' })).rejects.toThrow('not transient');
    expect(lasting.calls.count).toBe(1);
  });

  it('waits longer each time, and gives up with the last failure once its budget is spent', async () => {
    const waits: number[] = [];
    const forever = flaky(Number.POSITIVE_INFINITY, () => new PortalUnavailable('away', 'no'));
    const started = Date.now();
    await expect(
      withRetries(forever.attempt, {
        policy: { budgetMs: 600, firstDelayMs: 20, maxDelayMs: 160 },
        repeat: 'always',
        onRetry: (_error, failingMs) => waits.push(failingMs),
      }),
    ).rejects.toThrow('away');
    const took = Date.now() - started;
    expect(took).toBeLessThan(1_000);
    expect(forever.calls.count).toBeGreaterThan(4);
    // Exponential: the first waits are short, later ones up to the cap (jittered between half of it and all).
    const gaps = waits.slice(1).map((at, i) => at - waits[i]!);
    expect(gaps[0]).toBeLessThan(Math.max(...gaps));
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(70);
  });

  it('stops waiting at once when interrupted, with the interruption', async () => {
    const stop = new AbortController();
    const forever = flaky(Number.POSITIVE_INFINITY, () => new PortalUnavailable('away', 'no'));
    setTimeout(() => stop.abort(new Interrupted('SIGINT')), 100);
    const started = Date.now();
    await expect(
      withRetries(forever.attempt, {
        policy: { budgetMs: 60_000, firstDelayMs: 10_000, maxDelayMs: 10_000 },
        repeat: 'always',
        signal: stop.signal,
      }),
    ).rejects.toBeInstanceOf(Interrupted);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
