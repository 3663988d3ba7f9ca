import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortalError } from '@/lib/errors';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { signInWithPassword } from './sign-in';
import { CODE_REQUIRED, INVALID_CODE } from './sign-in-messages';
import { beginSetup, confirmSetup, turnOff, twoStepStatus } from './two-step';
import type { PortalUser } from './users';

const AUTH_SECRET = 'the-auth-secret-of-this-test-portal';
const PASSWORD = 'test-password-123';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

/** What an authenticator app shows for this secret, now or `offsetSeconds` from now. */
function appCode(secret: string, offsetSeconds = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSeconds * 1000,
  });
}

/** A 6-digit code that is none of the ones the drift window accepts now. */
function wrongCode(secret: string): string {
  const right = new Set([-30, 0, 30, 60].map((s) => appCode(secret, s)));
  for (let n = 123456; ; n = (n + 111111) % 1_000_000) {
    const code = String(n).padStart(6, '0');
    if (!right.has(code)) return code;
  }
}

async function userRow(id: string) {
  const { rows } = await svc.pool.query(
    'select totp_secret, totp_pending_secret, totp_enabled_at, totp_last_step from users where id = $1',
    [id],
  );
  return rows[0];
}

async function recoveryRows(id: string) {
  const { rows } = await svc.pool.query<{ code_hash: string; used_at: Date | null }>(
    'select code_hash, used_at from recovery_codes where user_id = $1',
    [id],
  );
  return rows;
}

async function logOperations(id: string) {
  const { rows } = await svc.pool.query<{ operation: string; category: string; subscription_id: string | null }>(
    'select operation, category, subscription_id from operation_logs where actor_id = $1 order by seq',
    [id],
  );
  return rows;
}

/** A user who turned two-step sign-in on: their secret (as the page shows it) and recovery codes. */
async function withTwoStep(): Promise<{ user: PortalUser; secret: string; recoveryCodes: string[] }> {
  const user = await createTestUser(svc);
  expect(await beginSetup(svc.db, AUTH_SECRET, user)).toBeUndefined();
  const secret = (await twoStepStatus(svc.db, AUTH_SECRET, user)).pending!.secret;
  const result = await confirmSetup(svc.db, AUTH_SECRET, user, appCode(secret));
  if (result instanceof PortalError) throw result;
  return { user, secret, recoveryCodes: result.recoveryCodes };
}

/** Signs in as a person would and says what they would see, with the delays the server held its answers for. */
async function signIn(user: PortalUser, code?: string, options: { address?: string; authSecret?: string } = {}) {
  const delays: number[] = [];
  try {
    const signedIn = await signInWithPassword(
      svc.db,
      { email: user.email, password: PASSWORD, code, address: options.address ?? '192.0.2.1' },
      { authSecret: options.authSecret ?? AUTH_SECRET, wait: async (ms) => delays.push(ms) },
    );
    return { answer: signedIn?.id === user.id ? 'signed in' : 'not signed in', delay: delays[0] ?? 0 };
  } catch (err) {
    if (err instanceof PortalError && (err.code === 'unauthenticated' || err.code === 'too_many_requests'))
      return { answer: err.message, delay: delays[0] ?? 0 };
    throw err;
  }
}

describe('turning two-step sign-in on', () => {
  it('keeps the secret pending until a code from it is proved; a wrong code changes nothing', async () => {
    const user = await createTestUser(svc);
    expect(await twoStepStatus(svc.db, AUTH_SECRET, user)).toEqual({
      enabledAt: null,
      pending: null,
      recoveryCodesLeft: 0,
    });
    expect(await beginSetup(svc.db, AUTH_SECRET, user)).toBeUndefined();
    const { pending } = await twoStepStatus(svc.db, AUTH_SECRET, user);
    expect(pending?.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(pending?.uri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]{32}.*algorithm=SHA1&digits=6&period=30/);
    const secret = pending!.secret;

    const before = await userRow(user.id);
    expect(before.totp_pending_secret).toMatch(/^v1\./);
    expect(before.totp_pending_secret).not.toContain(secret);
    expect(before.totp_secret).toBeNull();
    // Still off: signing in needs no code yet.
    expect((await signIn(user)).answer).toBe('signed in');

    const wrong = await confirmSetup(svc.db, AUTH_SECRET, user, wrongCode(secret));
    expect(wrong).toBeInstanceOf(PortalError);
    expect((wrong as PortalError).message).toBe(INVALID_CODE);
    expect(await userRow(user.id)).toEqual(before);
    expect(await recoveryRows(user.id)).toEqual([]);
    expect(await logOperations(user.id)).toEqual([]);

    const result = await confirmSetup(svc.db, AUTH_SECRET, user, appCode(secret));
    if (result instanceof PortalError) throw result;
    expect(result.recoveryCodes).toHaveLength(10);
    expect(new Set(result.recoveryCodes).size).toBe(10);
    for (const code of result.recoveryCodes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);

    const after = await userRow(user.id);
    expect(after.totp_pending_secret).toBeNull();
    expect(after.totp_secret).toBe(before.totp_pending_secret);
    expect(after.totp_enabled_at).toBeInstanceOf(Date);
    // Kept only as hashes.
    const stored = await recoveryRows(user.id);
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(result.recoveryCodes.map((c) => c.replace('-', ''))).not.toContain(row.code_hash);
    expect(await logOperations(user.id)).toEqual([
      { operation: 'Turn on two-step sign-in', category: 'Security', subscription_id: null },
    ]);

    const status = await twoStepStatus(svc.db, AUTH_SECRET, user);
    expect(status.pending).toBeNull();
    expect(status.recoveryCodesLeft).toBe(10);
    expect(await beginSetup(svc.db, AUTH_SECRET, user)).toEqual(
      new PortalError('conflict', 'Two-step sign-in is already on.'),
    );
  });

  it('does not open under another auth secret or for another person', async () => {
    const user = await createTestUser(svc);
    const other = await createTestUser(svc);
    await beginSetup(svc.db, AUTH_SECRET, user);
    expect((await twoStepStatus(svc.db, 'another-auth-secret', user)).pending).toBeNull();
    await svc.pool.query(
      'update users set totp_pending_secret = (select totp_pending_secret from users where id = $1) where id = $2',
      [user.id, other.id],
    );
    expect((await twoStepStatus(svc.db, AUTH_SECRET, other)).pending).toBeNull();
  });
});

describe('signing in with two-step sign-in', () => {
  it('asks for a code after the right password, takes each code once and refuses wrong ones', async () => {
    const { user, secret } = await withTwoStep();
    expect(await signIn(user)).toEqual({ answer: CODE_REQUIRED, delay: 0 });
    // The code that turned it on was used: it does not sign in.
    expect((await signIn(user, appCode(secret))).answer).toBe(INVALID_CODE);
    expect((await signIn(user, wrongCode(secret))).answer).toBe(INVALID_CODE);

    const next = appCode(secret, 30);
    expect((await signIn(user, ` ${next.slice(0, 3)} ${next.slice(3)} `)).answer).toBe('signed in');
    expect((await signIn(user, next)).answer).toBe(INVALID_CODE);

    // A wrong password with a right code is a wrong pair, as ever.
    const wrongPassword = await signInWithPassword(
      svc.db,
      { email: user.email, password: 'not-the-password', code: appCode(secret, 60), address: '192.0.2.1' },
      { authSecret: AUTH_SECRET, wait: async () => {} },
    );
    expect(wrongPassword).toBeNull();
  });

  it('takes a recovery code once, however it is typed, and logs its use', async () => {
    const { user, recoveryCodes } = await withTwoStep();
    const code = recoveryCodes[3]!;
    expect((await signIn(user, ` ${code.toUpperCase()} `)).answer).toBe('signed in');
    expect((await signIn(user, code)).answer).toBe(INVALID_CODE);
    expect((await signIn(user, recoveryCodes[4]!.replace('-', ''))).answer).toBe('signed in');
    expect((await twoStepStatus(svc.db, AUTH_SECRET, user)).recoveryCodesLeft).toBe(8);
    expect((await logOperations(user.id)).map((l) => l.operation)).toEqual([
      'Turn on two-step sign-in',
      'Sign in with a recovery code',
      'Sign in with a recovery code',
    ]);
  });

  it('slows and then stops wrong codes for the account, even with the right code, and not the password step', async () => {
    const { user, secret } = await withTwoStep();
    const answers: Awaited<ReturnType<typeof signIn>>[] = [];
    for (let i = 0; i < 20; i++) answers.push(await signIn(user, wrongCode(secret), { address: `198.51.100.${i}` }));
    expect(answers.map((a) => a.delay)).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, ...Array(11).fill(0)]);
    expect(answers.slice(0, 9).every((a) => a.answer === INVALID_CODE)).toBe(true);
    for (const a of answers.slice(9)) expect(a.answer).toBe('Too many attempts, try again in 15 minutes.');

    // Locked: the right code too, from anywhere; the password step still answers (its own count).
    expect((await signIn(user, appCode(secret, 30), { address: '203.0.113.50' })).answer).toBe(
      'Too many attempts, try again in 15 minutes.',
    );
    expect((await signIn(user, undefined, { address: '203.0.113.50' })).answer).toBe(CODE_REQUIRED);
    // Other people are not locked out by it.
    const someone = await createTestUser(svc);
    expect((await signIn(someone, undefined, { address: '198.51.100.1' })).answer).toBe('signed in');
  });

  it('counts wrong codes per address across accounts', async () => {
    const people = await Promise.all([withTwoStep(), withTwoStep(), withTwoStep(), withTwoStep()]);
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { user, secret } = people[i % people.length]!;
      answers.push((await signIn(user, wrongCode(secret), { address: '203.0.113.77' })).answer);
    }
    expect(answers.at(-1)).toBe('Too many attempts, try again in 15 minutes.');
    const { user, secret } = people[0]!;
    expect((await signIn(user, appCode(secret, 30), { address: '203.0.113.77' })).answer).toBe(
      'Too many attempts, try again in 15 minutes.',
    );
  }, 60_000);

  it('turns off, logged, when the auth secret it was sealed under is gone', async () => {
    const { user } = await withTwoStep();
    expect((await signIn(user, undefined, { authSecret: 'a-rotated-auth-secret' })).answer).toBe('signed in');
    expect(await userRow(user.id)).toMatchObject({ totp_secret: null, totp_enabled_at: null });
    expect(await recoveryRows(user.id)).toEqual([]);
    expect((await logOperations(user.id)).map((l) => l.operation)).toEqual([
      'Turn on two-step sign-in',
      'Turn off two-step sign-in',
    ]);
  });
});

describe('turning two-step sign-in off', () => {
  it('needs a current code: a wrong or used one changes nothing', async () => {
    const { user, secret } = await withTwoStep();
    const before = await userRow(user.id);
    expect(await turnOff(svc.db, AUTH_SECRET, user, wrongCode(secret), { wait: async () => {} })).toEqual(
      new PortalError('invalid', INVALID_CODE),
    );
    expect(await turnOff(svc.db, AUTH_SECRET, user, appCode(secret), { wait: async () => {} })).toEqual(
      new PortalError('invalid', INVALID_CODE),
    );
    expect(await userRow(user.id)).toEqual(before);
    expect(await recoveryRows(user.id)).toHaveLength(10);

    expect(await turnOff(svc.db, AUTH_SECRET, user, appCode(secret, 30))).toBeUndefined();
    expect(await userRow(user.id)).toEqual({
      totp_secret: null,
      totp_pending_secret: null,
      totp_enabled_at: null,
      totp_last_step: null,
    });
    expect(await recoveryRows(user.id)).toEqual([]);
    expect((await logOperations(user.id)).map((l) => l.operation)).toEqual([
      'Turn on two-step sign-in',
      'Turn off two-step sign-in',
    ]);
    expect((await signIn(user)).answer).toBe('signed in');
    expect(await turnOff(svc.db, AUTH_SECRET, user, appCode(secret, 30))).toEqual(
      new PortalError('conflict', 'Two-step sign-in is already off.'),
    );
  });

  it('takes a recovery code, and forgets the sign-in lock of the codes', async () => {
    const { user, secret, recoveryCodes } = await withTwoStep();
    for (let i = 0; i < 10; i++) await signIn(user, wrongCode(secret));
    expect((await signIn(user, appCode(secret, 30))).answer).toMatch(/^Too many attempts/);

    expect(await turnOff(svc.db, AUTH_SECRET, user, recoveryCodes[0]!)).toBeUndefined();
    expect((await signIn(user)).answer).toBe('signed in');
    // Turned on again later, its codes are not held back by the old lock.
    const again = await beginSetup(svc.db, AUTH_SECRET, user);
    expect(again).toBeUndefined();
    const fresh = (await twoStepStatus(svc.db, AUTH_SECRET, user)).pending!.secret;
    expect(await confirmSetup(svc.db, AUTH_SECRET, user, appCode(fresh))).not.toBeInstanceOf(PortalError);
    expect((await signIn(user, appCode(fresh, 30))).answer).toBe('signed in');
  }, 60_000);

  it('slows and stops guesses from a signed-in session', async () => {
    const { user, secret } = await withTwoStep();
    const delays: number[] = [];
    const answers: (PortalError | undefined)[] = [];
    for (let i = 0; i < 10; i++)
      answers.push(
        await turnOff(svc.db, AUTH_SECRET, user, wrongCode(secret), { wait: async (ms) => delays.push(ms) }),
      );
    expect(delays).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000]);
    expect(answers.at(-1)).toEqual(new PortalError('forbidden', 'Too many attempts, try again in 15 minutes.'));
    expect(await turnOff(svc.db, AUTH_SECRET, user, appCode(secret, 30))).toEqual(
      new PortalError('forbidden', 'Too many attempts, try again in 15 minutes.'),
    );
    expect((await twoStepStatus(svc.db, AUTH_SECRET, user)).enabledAt).toBeInstanceOf(Date);
  }, 60_000);
});
