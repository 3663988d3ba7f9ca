import 'server-only';
import type { Database } from '@/db/client';
import { assertNotThrottled, clearFailures, passwordKeys, recordFailure, TooManyAttempts } from './throttle';
import { authenticate } from './users';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The password step of signing in, throttled per account and per client address (lib/auth/throttle.ts). An unknown
 * email and a wrong password count and answer alike (null, after the same delays), so neither the answer nor its
 * timing tells whether an account exists. Throws TooManyAttempts, whose message the sign-in form shows, while locked.
 */
export async function signInWithPassword(
  db: Database,
  input: { email: string; password: string; address: string | undefined },
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<{ id: string; email: string } | null> {
  const keys = passwordKeys(input.email, input.address);
  await assertNotThrottled(db, keys);
  const user = await authenticate(input.email, input.password, db);
  if (user) {
    await clearFailures(db, keys.slice(0, 1));
    return user;
  }
  const failure = await recordFailure(db, keys);
  if (failure.lockedSeconds) throw new TooManyAttempts(failure.lockedSeconds);
  await wait(failure.delayMs);
  return null;
}
