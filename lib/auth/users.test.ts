import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, type TestDatabase } from '@/testing/db';
import { hashPassword } from './password';

let t: TestDatabase;
let authenticate: typeof import('./users').authenticate;
let loadUser: typeof import('./users').loadUser;

beforeAll(async () => {
  t = await freshDatabase();
  vi.doMock('@/lib/services', async (original) => ({
    ...(await original<object>()),
    processDatabase: () => ({ db: t.db, pool: t.pool }),
  }));
  ({ authenticate, loadUser } = await import('./users'));
  await t.pool.query(`insert into users (email, password_hash) values ('Ada@Example.com', $1)`, [
    await hashPassword('right-password-1'),
  ]);
});
afterAll(() => t.close());

async function timed(run: () => Promise<unknown>) {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

describe('authenticate', () => {
  it('accepts the right pair, with the email in any case, and nothing else', async () => {
    const user = await authenticate('ada@example.COM', 'right-password-1');
    expect(user?.email).toBe('Ada@Example.com');
    expect(await authenticate('ada@example.com', 'wrong-password')).toBeNull();
    expect(await authenticate('nobody@example.com', 'right-password-1')).toBeNull();
    expect((await loadUser(user!.id))?.subscriptions).toEqual([]);
  });

  it('takes as long for an unknown email as for a wrong password (a password hash is checked either way)', async () => {
    await authenticate('warm@example.com', 'x');
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await timed(() => authenticate('ada@example.com', 'wrong-password')));
      unknown.push(await timed(() => authenticate(`nobody${i}@example.com`, 'wrong-password')));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
    // Without the decoy hash an unknown email answers in a fraction of a millisecond against tens for scrypt.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(0.5);
    expect(median(unknown) / median(wrong)).toBeLessThan(2);
  });
});
