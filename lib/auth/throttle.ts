import 'server-only';
import { inArray, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { authThrottle } from '@/db/schema';
import { PortalError } from '@/lib/errors';

/**
 * Throttling of guesses, kept in the database so that every portal process counts the same attempts. A key is what
 * is being guessed at, or from where: `account:EMAIL` and `address:IP` for passwords; a second factor's codes can add
 * keys of their own (`code:USER_ID`) with their own limits. Past `free` failures each answer is delayed, doubling
 * each time; at `lockAfter` failures the key is refused outright for LOCK_SECONDS. Failures older than WINDOW_SECONDS
 * are forgotten.
 */
export type ThrottleKey = { key: string; free: number; lockAfter: number };

const WINDOW_SECONDS = 15 * 60;
const LOCK_SECONDS = 15 * 60;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 4000;

/** A person's account may be guessed at a little; an address (which many people may share) a little more. */
export function passwordKeys(email: string, address: string | undefined): ThrottleKey[] {
  return [
    { key: `account:${email.trim().toLowerCase()}`, free: 3, lockAfter: 10 },
    { key: `address:${address ?? 'unknown'}`, free: 10, lockAfter: 30 },
  ];
}

/**
 * Codes of two-step sign-in, counted apart from passwords: a right password does not forgive wrong codes, and wrong
 * codes do not lock the password step (or, for an address, other people's password sign-ins).
 */
export function codeKeys(userId: string, address: string | undefined): ThrottleKey[] {
  return [
    { key: `code:${userId}`, free: 3, lockAfter: 10 },
    { key: `code-address:${address ?? 'unknown'}`, free: 10, lockAfter: 30 },
  ];
}

/**
 * Codes a signed-in person gives on Settings > Security (to turn two-step sign-in off): a stolen session cannot
 * guess at them freely either, and a stranger's wrong codes at the sign-in page do not keep the person from it.
 */
export function settingsCodeKeys(userId: string): ThrottleKey[] {
  return [{ key: `settings-code:${userId}`, free: 3, lockAfter: 10 }];
}

export const tooManyAttempts = (seconds: number) => {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `Too many attempts, try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;
};

/** The refusal while a key is locked (`too_many_requests`): its message is the one the person sees. */
export const tooManyAttemptsError = (seconds: number) => new PortalError('too_many_requests', tooManyAttempts(seconds));

/** Refuses (tooManyAttemptsError) while any of the keys is locked, before the guess is even checked. */
export async function assertNotThrottled(db: Database, keys: ThrottleKey[]): Promise<void> {
  const seconds = await lockedSeconds(db, keys);
  if (seconds > 0) throw tooManyAttemptsError(seconds);
}

/** How many seconds the longest lock of the keys still holds (0 when none is locked). */
export async function lockedSeconds(db: Database, keys: ThrottleKey[]): Promise<number> {
  const [row] = await db
    .select({ seconds: sql<number>`ceil(extract(epoch from max(${authThrottle.blockedUntil}) - portal_now()))::int` })
    .from(authThrottle)
    .where(
      inArray(
        authThrottle.key,
        keys.map((k) => k.key),
      ),
    );
  return row?.seconds && row.seconds > 0 ? row.seconds : 0;
}

/**
 * Counts a failed guess against each key, atomically (racing guesses each count), and says how long to hold the
 * answer, or that a key just got locked.
 */
export async function recordFailure(
  db: Database,
  keys: ThrottleKey[],
): Promise<{ delayMs: number; lockedSeconds?: number }> {
  let delayMs = 0;
  let locked = false;
  for (const { key, free, lockAfter } of keys) {
    const window = sql`make_interval(secs => ${WINDOW_SECONDS})`;
    const lock = sql`make_interval(secs => ${LOCK_SECONDS})`;
    // In ON CONFLICT's SET every t.column is the row as it was, so the count and the lock agree.
    const counted = sql`case when t.last_failure_at < portal_now() - ${window} then 1 else t.failures + 1 end`;
    const { rows } = await db.execute<{ failures: number; locked: boolean }>(sql`
      insert into auth_throttle as t (key, failures, last_failure_at, blocked_until)
      values (${key}, 1, portal_now(), case when 1 >= ${lockAfter} then portal_now() + ${lock} end)
      on conflict (key) do update set
        failures = ${counted},
        last_failure_at = portal_now(),
        blocked_until = case when ${counted} >= ${lockAfter} then portal_now() + ${lock} else t.blocked_until end
      returning failures, coalesce(blocked_until > portal_now(), false) as locked`);
    const failures = rows[0]?.failures ?? 1;
    locked ||= Boolean(rows[0]?.locked);
    if (failures > free)
      delayMs = Math.max(delayMs, Math.min(FIRST_DELAY_MS * 2 ** (failures - free - 1), MAX_DELAY_MS));
  }
  // Rows of guesses long past keep the table small; one caller in fifty tidies up.
  if (Math.random() < 0.02) {
    await db.execute(sql`delete from auth_throttle where last_failure_at < portal_now() - interval '1 day'
      and (blocked_until is null or blocked_until < portal_now())`);
  }
  return locked ? { delayMs: 0, lockedSeconds: LOCK_SECONDS } : { delayMs };
}

/** A right guess forgets the failures against these keys (the account's, not the address's). */
export async function clearFailures(db: Database, keys: ThrottleKey[]): Promise<void> {
  await db.delete(authThrottle).where(
    inArray(
      authThrottle.key,
      keys.map((k) => k.key),
    ),
  );
}
