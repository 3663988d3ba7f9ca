import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The upload throttle's token bucket and the paced writing of a body through it: what the agent's connections
 * (agent/connections.ts, agent/upload.ts) use of the throttle. The schedule and its settings are agent/throttle.ts.
 */

/** Bytes per second; Infinity is unlimited. */
export type Rate = number;

/** The bucket holds at most this much of the rate: any 10 s window carries at most 10.5 s of it. */
const BURST_SECONDS = 0.5;
/** The most one write waits for before the schedule is looked at again. */
const MAX_WAIT_MS = 250;

/** A write's size at `rate`: a tenth of a second of it, at most 64 KiB (a socket's usual write). */
export function sliceOf(rate: Rate): number {
  return Math.max(512, Math.min(64 * 1024, Math.floor(rate / 10)));
}

function capacityOf(rate: Rate): number {
  return Math.max(sliceOf(rate), rate * BURST_SECONDS);
}

/** Time for the bucket: milliseconds from any fixed origin, and a wait. Tests give a simulated one. */
export type BucketClock = { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };

const realClock: BucketClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/**
 * A token bucket at a rate that may change at any moment (`rate()`, read at each take): up to BURST_SECONDS of the
 * rate at once, then the rate. Takes are served in turn (the connections of a backup share it fairly). A take larger
 * than the bucket (the rate just fell) is let through once the bucket is full, and leaves it in debt.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: () => Rate,
    private readonly clock: BucketClock = realClock,
  ) {
    this.last = clock.now();
    const rate0 = rate();
    this.tokens = Number.isFinite(rate0) ? capacityOf(rate0) : 0;
  }

  /** Resolves once `bytes` may be sent; rejects with the signal's reason when it is aborted first. */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    const mine = this.turn.then(() => this.acquire(bytes, signal));
    this.turn = mine.catch(() => {});
    return mine;
  }

  private async acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const rate = this.rate();
      const now = this.clock.now();
      const elapsed = Math.max(0, now - this.last);
      this.last = now;
      if (!Number.isFinite(rate)) {
        // Unlimited: nothing waits, and a limit that comes back starts from a full bucket.
        this.tokens = Number.POSITIVE_INFINITY;
        return;
      }
      const capacity = capacityOf(rate);
      this.tokens = Math.min(capacity, this.tokens + (rate * elapsed) / 1000);
      if (this.tokens >= Math.min(bytes, capacity)) {
        this.tokens -= bytes;
        return;
      }
      const missing = Math.min(bytes, capacity) - this.tokens;
      await this.clock.sleep(Math.min(MAX_WAIT_MS, Math.max(1, Math.ceil((missing / rate) * 1000))), signal);
    }
  }
}

/**
 * What the agent's connections need of the throttle to send an upload's body (agent/connections.ts, agent/upload.ts):
 * the limit now, and the bucket all of the backup's uploads take from.
 */
export type UploadPace = { rate(): Rate; take(bytes: number, signal?: AbortSignal): Promise<void> };

/** Where a paced body goes: a socket, or an https request. */
type Sink = {
  write(chunk: Uint8Array): boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
};

/**
 * Writes `parts` to `sink` no faster than `pace` allows, a slice at a time, each once the bucket has its bytes and
 * the sink has room (what is written is on its way, not waiting in the agent). Stops when `live()` turns false (the
 * exchange ended). While the limit is unlimited, the rest of a part is written at once.
 */
export async function writePaced(
  sink: Sink,
  parts: Uint8Array[],
  pace: UploadPace,
  live: () => boolean,
  signal?: AbortSignal,
): Promise<void> {
  for (const part of parts) {
    for (let at = 0; at < part.length; ) {
      if (!live()) return;
      const rate = pace.rate();
      if (!Number.isFinite(rate)) {
        sink.write(at === 0 ? part : part.subarray(at));
        break;
      }
      const size = Math.min(part.length - at, sliceOf(rate));
      await pace.take(size, signal);
      if (!live()) return;
      const room = sink.write(part.subarray(at, at + size));
      at += size;
      if (!room) {
        await new Promise<void>((resolve) => {
          const done = () => {
            sink.off('drain', done);
            sink.off('close', done);
            resolve();
          };
          sink.once('drain', done);
          sink.once('close', done);
        });
      }
    }
  }
}

/** Takes a body's bytes from the bucket, a slice at a time, without writing them (a body sent whole afterwards). */
export async function paceWhole(parts: Uint8Array[], pace: UploadPace, signal?: AbortSignal): Promise<void> {
  let left = parts.reduce((sum, part) => sum + part.length, 0);
  while (left > 0) {
    const rate = pace.rate();
    if (!Number.isFinite(rate)) return;
    const size = Math.min(left, sliceOf(rate));
    await pace.take(size, signal);
    left -= size;
  }
}
