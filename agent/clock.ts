import { AGENT_PATHS, type ClockResponse } from '@/wire/protocol';
import type { AgentContext } from './io';
import { callPortal } from './portal';
import { type Retry, withRetries } from './retry';

/** How often the service (`run`) reads the portal's clock again: a clock moved while it runs is followed within this. */
export const CLOCK_REFRESH_MS = 60_000;

/**
 * Two readings of the portal's clock further apart than this mean the clock was moved; closer, the network's jitter.
 * A signed call is refused only when the agent's time is minutes off (agent/proof.ts, lib/registration/verify.ts).
 */
const MOVED_MS = 5_000;

type How = { retry?: Retry; signal?: AbortSignal };

/**
 * The portal's time as an agent that follows the portal's clock keeps it (one downloaded from a portal in emulator
 * mode, whose clock tests move, or AGENT_FOLLOW_PORTAL_CLOCK=1): the machine's own time plus the offset it last read
 * from the portal (AGENT_PATHS.clock). It is the agent's `ctx.now()`, so every signed call, schedule and log line
 * follows it.
 */
export class PortalClock {
  #offsetMs = 0;
  #portalUrl: string | undefined;
  /** The machine's time when the offset was read. */
  #readAt = 0;

  constructor(
    private readonly local: () => Date,
    private readonly fetch: typeof globalThis.fetch,
  ) {}

  now(): Date {
    return new Date(this.local().getTime() + this.#offsetMs);
  }

  /**
   * Reads the portal's clock, unless it was read from that portal less than `maxAgeMs` ago (by default: ever), and
   * returns how far the offset moved. Asked as any call to the portal is (agent/portal.ts), tried again as `retry`
   * allows: the time of the attempt that answered is the one kept, half its round trip taken as the portal's moment.
   */
  async follow(portalUrl: string, how: How & { maxAgeMs?: number } = {}): Promise<number> {
    const maxAgeMs = how.maxAgeMs ?? Number.POSITIVE_INFINITY;
    if (this.#portalUrl === portalUrl && this.local().getTime() - this.#readAt < maxAgeMs) return 0;
    const read = async () => {
      const sent = this.local().getTime();
      const { now } = await callPortal({
        portalUrl,
        path: AGENT_PATHS.clock,
        method: 'GET',
        fetch: this.fetch,
        accept: isClockResponse,
        signal: how.signal,
      });
      const received = this.local().getTime();
      return { portalMs: Date.parse(now), sent, received };
    };
    // Asking the time changes nothing, so it is repeated after any transient failure; the caller's own onRetry (which
    // may mark its call as repeated) is not told.
    const { portalMs, sent, received } = how.retry
      ? await withRetries(read, { policy: how.retry.policy, repeat: 'always', signal: how.retry.signal ?? how.signal })
      : await read();
    const offsetMs = Math.round(portalMs - (sent + received) / 2);
    const moved = offsetMs - this.#offsetMs;
    this.#offsetMs = offsetMs;
    this.#portalUrl = portalUrl;
    this.#readAt = received;
    return moved;
  }
}

/**
 * For an agent that follows the portal's clock, reads it before the first call that signs anything or reads a
 * schedule (and again once `maxAgeMs` passed); nothing otherwise.
 */
export async function followPortalClock(
  ctx: Pick<AgentContext, 'portalClock'>,
  portalUrl: string,
  how: How & { maxAgeMs?: number } = {},
): Promise<void> {
  await ctx.portalClock?.follow(portalUrl, how);
}

/**
 * After the portal refused a signed call in a way a moved clock explains: reads the portal's clock at once and says
 * whether it had moved (so the call is worth making once more). Always false for an agent that keeps its own time.
 */
export async function portalClockMoved(
  ctx: Pick<AgentContext, 'portalClock'>,
  portalUrl: string,
  how: How = {},
): Promise<boolean> {
  if (!ctx.portalClock) return false;
  const moved = await ctx.portalClock.follow(portalUrl, { ...how, maxAgeMs: 0 }).catch(() => 0);
  return Math.abs(moved) >= MOVED_MS;
}

function isClockResponse(body: unknown): body is ClockResponse {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ClockResponse).now === 'string' &&
    !Number.isNaN(Date.parse((body as ClockResponse).now))
  );
}
