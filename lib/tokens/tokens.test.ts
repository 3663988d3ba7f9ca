import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { bearerUser } from './bearer';
import { createToken, listTokens, revokeToken, userIdForToken } from './tokens';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

describe('personal access tokens', () => {
  it('keeps only a hash, acts as its user with their roles, records its use, and stops when revoked', async () => {
    const user = await createTestUser(svc, { role: 'Reader' });
    const { id, token } = await createToken(svc.db, user);
    expect(token).toMatch(/^bvp_[A-Za-z0-9_-]{43}$/);
    const { rows } = await svc.pool.query('select * from personal_access_tokens where id = $1', [id]);
    expect(JSON.stringify(rows[0])).not.toContain(token.slice(4));

    expect((await listTokens(svc.db, user.id))[0]).toMatchObject({ id, lastUsedAt: null, prefix: token.slice(0, 10) });
    const acting = await bearerUser(svc.db, `Bearer ${token}`);
    expect(acting).toMatchObject(user);
    expect((await listTokens(svc.db, user.id))[0]!.lastUsedAt).toBeInstanceOf(Date);

    const other = await createTestUser(svc);
    expect(await revokeToken(svc.db, other, id)).toBe(false);
    expect(await revokeToken(svc.db, user, id)).toBe(true);
    expect(await userIdForToken(svc.db, token)).toBeNull();
    expect(await listTokens(svc.db, user.id)).toEqual([]);
  });

  it('refuses missing, malformed and unknown tokens', async () => {
    const user = await createTestUser(svc);
    const { token } = await createToken(svc.db, user);
    for (const header of [
      null,
      '',
      token,
      `Basic ${token}`,
      'Bearer ',
      `Bearer ${token}x`,
      `Bearer bvp_${'a'.repeat(43)}`,
    ])
      expect(await bearerUser(svc.db, header)).toBeNull();
    expect((await bearerUser(svc.db, `bearer ${token}`))?.id).toBe(user.id);
  });
});
