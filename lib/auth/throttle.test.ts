import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortalError } from '@/lib/errors';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { signInWithPassword } from './sign-in';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

/** Tries a pair and says what the person would see, with the delay the server held the answer for. */
async function attempt(email: string, password: string, address = '192.0.2.1') {
  const delays: number[] = [];
  try {
    const user = await signInWithPassword(
      svc.db,
      { email, password, address },
      { authSecret: 'a-test-auth-secret', wait: async (ms) => delays.push(ms) },
    );
    return { answer: user ? 'signed in' : 'Invalid email or password.', delay: delays[0] ?? 0 };
  } catch (err) {
    if (err instanceof PortalError && err.code === 'too_many_requests') return { answer: err.message, delay: 0 };
    throw err;
  }
}

describe('sign-in throttling', () => {
  it('delays repeated failures more and more, then refuses even the right password, alike for unknown emails', async () => {
    const user = await createTestUser(svc);
    const known: Awaited<ReturnType<typeof attempt>>[] = [];
    const unknown: Awaited<ReturnType<typeof attempt>>[] = [];
    for (let i = 0; i < 10; i++) known.push(await attempt(user.email, `wrong-${i}`, '192.0.2.10'));
    for (let i = 0; i < 10; i++) unknown.push(await attempt('nobody@example.com', `wrong-${i}`, '192.0.2.11'));

    expect(known.map((a) => a.delay)).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 0]);
    expect(known.slice(0, 9).every((a) => a.answer === 'Invalid email or password.')).toBe(true);
    expect(known[9]!.answer).toBe('Too many attempts, try again in 15 minutes.');
    expect(unknown).toEqual(known);

    // Locked: the right password too, and from another address (the account's own count).
    expect(await attempt(user.email, 'test-password-123', '198.51.100.5')).toEqual({
      answer: 'Too many attempts, try again in 15 minutes.',
      delay: 0,
    });
  });

  it('forgets an account failures once the right password is given before the lock', async () => {
    const user = await createTestUser(svc);
    for (let i = 0; i < 5; i++) await attempt(user.email, 'wrong', '192.0.2.20');
    expect((await attempt(user.email, 'test-password-123', '192.0.2.20')).answer).toBe('signed in');
    expect(await attempt(user.email, 'wrong', '192.0.2.20')).toEqual({
      answer: 'Invalid email or password.',
      delay: 0,
    });
  });

  it('locks an address that guesses at many accounts, and only that address', async () => {
    const user = await createTestUser(svc);
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) answers.push((await attempt(`guess-${i}@example.com`, 'wrong', '203.0.113.9')).answer);
    expect(answers.at(-1)).toBe('Too many attempts, try again in 15 minutes.');
    expect((await attempt(user.email, 'test-password-123', '203.0.113.9')).answer).toBe(
      'Too many attempts, try again in 15 minutes.',
    );
    expect((await attempt(user.email, 'test-password-123', '203.0.113.10')).answer).toBe('signed in');
  });

  it('counts racing guesses each', async () => {
    const user = await createTestUser(svc);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt(user.email, `wrong-${i}`, `192.0.2.${100 + i}`)),
    );
    expect(answers.filter((a) => a.answer.startsWith('Too many attempts')).length).toBeGreaterThanOrEqual(3);
    expect((await attempt(user.email, 'test-password-123', '192.0.2.99')).answer).toMatch(/^Too many attempts/);
  });
});
