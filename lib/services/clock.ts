import type pg from 'pg';
import { withTransaction } from '@/db/client';

/**
 * The portal's one source of "now". JavaScript asks `clock.now()`; SQL calls `portal_now()` (migration 0014), which is
 * the database's `now()` moved by the same offset, kept in the one-row table `portal_clock` so that every process on the
 * database (the web server, `npm run worker`) reads the same time. Real time (offset 0) unless someone moves it.
 */
export interface Clock {
  /** The portal's current time. */
  now(): Date;
  /** The same, in milliseconds since the epoch. */
  nowMs(): number;
  /** How far the portal's time is ahead of the machine's, in milliseconds (0: real time). */
  offsetMs(): number;
}

/** A clock that can be moved (the process's clock, `Services['clock']`): tests move it to make time pass at once. */
export interface MovableClock extends Clock {
  /** Moves the portal's time to real time plus `offsetMs`, for JavaScript here and for SQL everywhere. */
  setOffset(offsetMs: number): Promise<void>;
  /** Reads the offset the database holds (another process may have moved it). */
  refresh(): Promise<void>;
}

/** Real time, for code that has no database (and for tests of pure functions). */
export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
  offsetMs: () => 0,
};

/** A clock whose offset lives in the database, read once at start and changed only through `setOffset`. */
export class DatabaseClock implements MovableClock {
  #offsetMs = 0;

  constructor(private readonly pool: pg.Pool) {}

  /** Reads the offset the database holds (another process may have moved it). */
  async refresh(): Promise<void> {
    const { rows } = await this.pool.query<{ offset_ms: string }>('select offset_ms from portal_clock');
    this.#offsetMs = Number(rows[0]?.offset_ms ?? 0);
  }

  /**
   * Moves the portal's time, for JavaScript here and for SQL everywhere. portal_now() is written again with the offset
   * as a constant, in the same transaction as the row that records it: a function that read the row would be called
   * once per row of a large statement, where `now() + constant` is inlined and costs what now() costs.
   */
  async setOffset(offsetMs: number): Promise<void> {
    if (!Number.isSafeInteger(offsetMs)) {
      throw new RangeError('The clock offset must be a whole number of milliseconds.');
    }
    await withTransaction(this.pool, async (_tx, client) => {
      await client.query(
        `insert into portal_clock (id, offset_ms) values (true, $1)
         on conflict (id) do update set offset_ms = excluded.offset_ms`,
        [offsetMs],
      );
      await client.query(portalNowFunction(offsetMs));
    });
    this.#offsetMs = offsetMs;
  }

  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }

  nowMs(): number {
    return Date.now() + this.#offsetMs;
  }

  offsetMs(): number {
    return this.#offsetMs;
  }
}

/** The SQL function every statement asks for the portal's time (first written by migration 0014, with offset 0). */
export function portalNowFunction(offsetMs: number): string {
  if (!Number.isSafeInteger(offsetMs)) throw new RangeError('The clock offset must be a whole number of milliseconds.');
  return `CREATE OR REPLACE FUNCTION portal_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT now() + ${offsetMs} * interval '1 millisecond'
$$`;
}
