import 'server-only';
import type { Database } from '@/db/client';
import { PortalError } from '@/lib/errors';
import { CODE_REQUIRED, INVALID_CODE } from './sign-in-messages';
import { assertNotThrottled, clearFailures, passwordKeys, recordFailure, tooManyAttemptsError } from './throttle';
import { secondStep } from './two-step';
import { authenticate } from './users';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Signing in: the password step, throttled per account and per client address (lib/auth/throttle.ts), then for a
 * person with two-step sign-in their code (lib/auth/two-step.ts), throttled on keys of its own. An unknown email and a wrong
 * password count and answer alike (null, after the same delays), so neither the answer nor its timing tells whether
 * an account exists. A right password alone never signs in a person with two-step sign-in: it answers CODE_REQUIRED
 * (a PortalError `unauthenticated`), and the form asks for the code. Throws `too_many_requests`, whose message the form
 * shows, while locked.
 */
export async function signInWithPassword(
  db: Database,
  input: { email: string; password: string; code?: string; address: string | undefined },
  options: { authSecret: string; wait?: (ms: number) => Promise<unknown> },
): Promise<{ id: string; email: string } | null> {
  const wait = options.wait ?? sleep;
  const keys = passwordKeys(input.email, input.address);
  await assertNotThrottled(db, keys);
  const user = await authenticate(input.email, input.password, db);
  if (user) {
    await clearFailures(db, keys.slice(0, 1));
    const step = await secondStep(db, options.authSecret, user, { code: input.code, address: input.address }, wait);
    if (step === 'code required') throw new PortalError('unauthenticated', CODE_REQUIRED);
    if (step === 'wrong code') throw new PortalError('unauthenticated', INVALID_CODE);
    return user;
  }
  const failure = await recordFailure(db, keys);
  if (failure.lockedSeconds) throw tooManyAttemptsError(failure.lockedSeconds);
  await wait(failure.delayMs);
  return null;
}
