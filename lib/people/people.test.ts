import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, loadUser, type PortalUser } from '@/lib/auth/users';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { until } from '@/testing/until';
import {
  acceptInvitation,
  changeRole,
  invite,
  listPeople,
  removeMember,
  revokeInvitation,
  viewInvitation,
} from './people';
import { messages } from './validation';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const ORIGIN = 'https://backup.example.com';
const PASSWORD = 'a-long-enough-password';
let counter = 0;
const newEmail = () => `invitee${++counter}-${Date.now()}@example.com`;

/** An Owner with a subscription of their own. */
const owner = () => createTestUser(svc, { role: 'Owner' });

async function join(user: PortalUser, subscription: PortalUser['subscriptions'][number], role: string) {
  await svc.pool.query('insert into memberships (user_id, subscription_id, role) values ($1, $2, $3)', [
    user.id,
    subscription.id,
    role,
  ]);
  return (await loadUser(user.id, svc.db))!;
}

async function invited(by: PortalUser, role = 'Reader', email = newEmail()) {
  const result = await invite(svc, by, { subscriptionId: by.subscriptions[0]!.id, email, role }, ORIGIN);
  if (!result.ok) throw new Error(JSON.stringify(result));
  return { ...result.data, email, token: result.data.link.split('/').pop()! };
}

async function peopleLog(subscriptionId: string) {
  const { rows } = await svc.pool.query(
    `select actor, operation, target, before, after from operation_logs
     where subscription_id = $1 and category = 'People' order by seq`,
    [subscriptionId],
  );
  return rows;
}

async function count(table: string, where = 'true', params: unknown[] = []) {
  const { rows } = await svc.pool.query(`select count(*)::int as n from ${table} where ${where}`, params);
  return rows[0].n as number;
}

async function roleOf(userId: string, subscriptionId: string) {
  const { rows } = await svc.pool.query('select role from memberships where user_id = $1 and subscription_id = $2', [
    userId,
    subscriptionId,
  ]);
  return rows[0]?.role ?? null;
}

describe('inviting', () => {
  it('makes a single-use link on the portal address, keeps only its hash, lists it as pending and logs it', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const { link, token, email, invitationId } = await invited(admin, 'Contributor');
    expect(link).toMatch(new RegExp(`^${ORIGIN}/invitations/[A-Za-z0-9_-]{43}$`));

    const { rows } = await svc.pool.query('select * from invitations where id = $1', [invitationId]);
    expect(JSON.stringify(rows[0])).not.toContain(token);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    const days = (rows[0].expires_at.getTime() - rows[0].created_at.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(7, 5);

    const [people] = await listPeople(svc.db, admin);
    expect(people!.members).toEqual([{ userId: admin.id, email: admin.email, role: 'Owner' }]);
    expect(people!.invitations).toEqual([
      expect.objectContaining({ id: invitationId, email, role: 'Contributor', invitedBy: admin.email }),
    ]);
    expect(await peopleLog(sub.id)).toEqual([
      { actor: admin.email, operation: 'Invite person', target: email, before: null, after: { role: 'Contributor' } },
    ]);
  });

  it('refuses bad input, members, non-Owners and strangers, and changes nothing', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const reader = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Reader');
    const contributor = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Contributor');
    const stranger = await owner();
    const before = await count('invitations');

    const attempt = (user: PortalUser, input: Record<string, unknown>) =>
      invite(svc, user, { subscriptionId: sub.id, email: newEmail(), role: 'Reader', ...input }, ORIGIN);
    expect(await attempt(admin, { email: 'not an email' })).toEqual({
      ok: false,
      fieldErrors: { email: messages.email },
    });
    expect(await attempt(admin, { role: 'Admin' })).toEqual({ ok: false, fieldErrors: { role: messages.role } });
    expect(await attempt(admin, { subscriptionId: 'x' })).toEqual({
      ok: false,
      fieldErrors: { subscriptionId: messages.subscription },
    });
    expect(await attempt(admin, { email: reader.email.toUpperCase() })).toEqual({
      ok: false,
      fieldErrors: { email: messages.alreadyMember(reader.email) },
    });
    expect(await attempt(reader, {})).toEqual({ ok: false, message: messages.notOwner });
    expect(await attempt(contributor, {})).toEqual({ ok: false, message: messages.notOwner });
    expect(await attempt(stranger, {})).toEqual({ ok: false, message: messages.subscriptionNotFound });
    expect(await count('invitations')).toBe(before);
    expect(await peopleLog(sub.id)).toEqual([]);
  });

  it('refuses an Owner demoted since the page loaded: the role is checked again in the transaction', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const other = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Owner');
    expect((await changeRole(svc, other, { subscriptionId: sub.id, userId: admin.id, role: 'Reader' })).ok).toBe(true);
    // `admin` still says Owner, as a request that loaded it a moment before would.
    expect(await invite(svc, admin, { subscriptionId: sub.id, email: newEmail(), role: 'Owner' }, ORIGIN)).toEqual({
      ok: false,
      message: messages.notOwner,
    });
  });

  it('replaces a pending invitation of the same email', async () => {
    const admin = await owner();
    const first = await invited(admin, 'Reader');
    const second = await invited(admin, 'Owner', first.email);
    expect((await viewInvitation(svc.db, first.token)).state).toBe('revoked');
    expect(await viewInvitation(svc.db, second.token)).toMatchObject({ state: 'pending', role: 'Owner' });
  });
});

describe('accepting', () => {
  it('creates the account and the membership once, marks the link used and logs it; the link then changes nothing', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const { token, email } = await invited(admin, 'Contributor');
    expect(await viewInvitation(svc.db, token)).toMatchObject({
      state: 'pending',
      email,
      role: 'Contributor',
      subscription: sub.displayName,
      invitedBy: admin.email,
      accountExists: false,
    });

    const accepted = await acceptInvitation(svc, null, { token, password: PASSWORD, confirmPassword: PASSWORD });
    expect(accepted).toEqual({ ok: true, data: { email, newAccount: true } });
    const account = await authenticate(email, PASSWORD, svc.db);
    expect(account).not.toBeNull();
    expect((await loadUser(account!.id, svc.db))!.subscriptions).toEqual([
      { id: sub.id, displayName: sub.displayName, role: 'Contributor', vaultCount: 0 },
    ]);
    const { rows } = await svc.pool.query('select accepted_at, accepted_by from invitations where token_hash = $1', [
      createHash('sha256').update(token).digest('hex'),
    ]);
    expect(rows[0]).toMatchObject({ accepted_by: account!.id, accepted_at: expect.any(Date) });
    expect((await peopleLog(sub.id)).at(-1)).toEqual({
      actor: email,
      operation: 'Accept invitation',
      target: email,
      before: null,
      after: { role: 'Contributor' },
    });

    const users = await count('users');
    const again = await acceptInvitation(svc, null, {
      token,
      password: 'another-password-1',
      confirmPassword: 'another-password-1',
    });
    expect(again).toEqual({ ok: false, message: messages.link.used });
    expect(await viewInvitation(svc.db, token)).toEqual({ state: 'used', message: messages.link.used });
    expect(await count('users')).toBe(users);
    expect(await authenticate(email, 'another-password-1', svc.db)).toBeNull();
    expect((await listPeople(svc.db, admin))[0]!.invitations).toEqual([]);
  });

  it('lets exactly one of two simultaneous accepts through', async () => {
    const admin = await owner();
    const { token, email } = await invited(admin);
    const results = await Promise.all(
      ['first-password-123', 'second-password-123'].map((p) =>
        acceptInvitation(svc, null, { token, password: p, confirmPassword: p }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await count('users', 'lower(email) = $1', [email])).toBe(1);
    expect(await count('memberships m join users u on u.id = m.user_id', 'lower(u.email) = $1', [email])).toBe(1);
  });

  it('refuses a bad password, an unknown, expired or revoked link, and changes nothing', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const { token, email } = await invited(admin);
    const users = await count('users');
    const accept = (t: string, password = PASSWORD, confirmPassword = password) =>
      acceptInvitation(svc, null, { token: t, password, confirmPassword });

    expect(await accept(token, 'short-pass1')).toEqual({
      ok: false,
      fieldErrors: { password: messages.password },
    });
    expect(await accept(token, PASSWORD, `${PASSWORD}x`)).toEqual({
      ok: false,
      fieldErrors: { confirmPassword: messages.confirm },
    });
    expect(await accept('x'.repeat(43))).toEqual({ ok: false, message: messages.link.unknown });
    expect(await accept('../../etc/passwd')).toEqual({ ok: false, message: messages.link.unknown });

    await svc.pool.query("update invitations set expires_at = now() - interval '1 second' where email = $1", [email]);
    expect(await viewInvitation(svc.db, token)).toEqual({ state: 'expired', message: messages.link.expired });
    expect(await accept(token)).toEqual({ ok: false, message: messages.link.expired });
    expect((await listPeople(svc.db, admin))[0]!.invitations).toEqual([]);

    const revoked = await invited(admin);
    const [pending] = (await listPeople(svc.db, admin))[0]!.invitations;
    expect(await revokeInvitation(svc, admin, { subscriptionId: sub.id, invitationId: pending!.id })).toEqual({
      ok: true,
      data: undefined,
    });
    expect(await accept(revoked.token)).toEqual({ ok: false, message: messages.link.revoked });
    expect(await revokeInvitation(svc, admin, { subscriptionId: sub.id, invitationId: pending!.id })).toEqual({
      ok: false,
      message: messages.invitationNotFound,
    });

    expect(await count('users')).toBe(users);
    expect(await count('memberships', 'subscription_id = $1', [sub.id])).toBe(1);
    expect((await peopleLog(sub.id)).map((e) => e.operation)).toEqual([
      'Invite person',
      'Invite person',
      'Revoke invitation',
    ]);
  });

  it('asks an existing account to sign in, then adds the membership to it; another account is refused', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const existing = await owner();
    const someoneElse = await owner();
    const { token } = await invited(admin, 'Reader', existing.email.toUpperCase());

    expect(await viewInvitation(svc.db, token)).toMatchObject({ state: 'pending', accountExists: true });
    expect(await acceptInvitation(svc, null, { token, password: PASSWORD, confirmPassword: PASSWORD })).toEqual({
      ok: false,
      message: messages.accountExists(existing.email),
    });
    expect(await acceptInvitation(svc, someoneElse, { token })).toEqual({
      ok: false,
      message: messages.otherAccount(existing.email, someoneElse.email),
    });
    expect(await roleOf(existing.id, sub.id)).toBeNull();
    expect((await viewInvitation(svc.db, token)).state).toBe('pending');

    expect(await acceptInvitation(svc, existing, { token })).toEqual({
      ok: true,
      data: { email: existing.email, newAccount: false },
    });
    expect(await roleOf(existing.id, sub.id)).toBe('Reader');
    expect(await authenticate(existing.email, 'test-password-123', svc.db)).not.toBeNull();
    expect((await viewInvitation(svc.db, token)).state).toBe('used');
  });
});

describe('roles and removal', () => {
  it('lets an Owner change a role (logged with before and after) and remove a member', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const member = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Reader');

    expect(await changeRole(svc, admin, { subscriptionId: sub.id, userId: member.id, role: 'Contributor' })).toEqual({
      ok: true,
      data: undefined,
    });
    expect(await roleOf(member.id, sub.id)).toBe('Contributor');
    expect(await removeMember(svc, admin, { subscriptionId: sub.id, userId: member.id })).toEqual({
      ok: true,
      data: undefined,
    });
    expect(await roleOf(member.id, sub.id)).toBeNull();
    expect(await loadUser(member.id, svc.db)).toMatchObject({ id: member.id, subscriptions: [] });
    expect(await peopleLog(sub.id)).toEqual([
      {
        actor: admin.email,
        operation: 'Change role',
        target: member.email,
        before: { role: 'Reader' },
        after: { role: 'Contributor' },
      },
      {
        actor: admin.email,
        operation: 'Remove member',
        target: member.email,
        before: { role: 'Contributor' },
        after: null,
      },
    ]);
    expect(await removeMember(svc, admin, { subscriptionId: sub.id, userId: member.id })).toEqual({
      ok: false,
      message: messages.memberNotFound,
    });
  });

  it('keeps the last Owner: neither demoted nor removed, with a clear message', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    expect(await changeRole(svc, admin, { subscriptionId: sub.id, userId: admin.id, role: 'Contributor' })).toEqual({
      ok: false,
      message: messages.lastOwner,
    });
    expect(await removeMember(svc, admin, { subscriptionId: sub.id, userId: admin.id })).toEqual({
      ok: false,
      message: messages.lastOwner,
    });
    expect(await roleOf(admin.id, sub.id)).toBe('Owner');
    expect(await peopleLog(sub.id)).toEqual([]);
  });

  it('lets exactly one of two Owners demoting each other at once succeed', async () => {
    const a = await owner();
    const sub = a.subscriptions[0]!;
    const b = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Owner');
    const results = await Promise.all([
      changeRole(svc, a, { subscriptionId: sub.id, userId: b.id, role: 'Reader' }),
      changeRole(svc, b, { subscriptionId: sub.id, userId: a.id, role: 'Reader' }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, message: messages.notOwner });
    const roles = [await roleOf(a.id, sub.id), await roleOf(b.id, sub.id)].sort();
    expect(roles).toEqual(['Owner', 'Reader']);
  });

  it('lets exactly one of two Owners leave at once: the database keeps the other', async () => {
    const a = await owner();
    const sub = a.subscriptions[0]!;
    const b = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Owner');
    const results = await Promise.all([
      changeRole(svc, a, { subscriptionId: sub.id, userId: a.id, role: 'Contributor' }),
      removeMember(svc, b, { subscriptionId: sub.id, userId: b.id }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, message: messages.lastOwner });
    const { rows } = await svc.pool.query(
      "select count(*)::int as n from memberships where subscription_id = $1 and role = 'Owner'",
      [sub.id],
    );
    expect(rows[0].n).toBe(1);
  });

  // Two transactions open at once on two connections: the real PostgreSQL only (the embedded server runs one at a time).
  it.skipIf(!process.env.DATABASE_URL)(
    'the trigger alone orders two raw demotions at once: one commits, the other is refused',
    async () => {
      const a = await owner();
      const sub = a.subscriptions[0]!;
      const b = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Owner');
      const [first, second] = [await svc.pool.connect(), await svc.pool.connect()];
      try {
        await first.query('begin');
        await second.query('begin');
        const { rows } = await second.query<{ pid: number }>('select pg_backend_pid() as pid');
        await first.query("update memberships set role = 'Reader' where user_id = $1 and subscription_id = $2", [
          a.id,
          sub.id,
        ]);
        const waiting = second
          .query("update memberships set role = 'Reader' where user_id = $1 and subscription_id = $2", [b.id, sub.id])
          .then(
            () => 'updated',
            (err: { constraint?: string }) => err.constraint,
          );
        // The second demotion waits for the subscription's row lock the first one's trigger holds.
        await until('the second demotion to wait for the lock', async () => {
          const waiting = await svc.pool.query(
            "select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'",
            [rows[0]!.pid],
          );
          return waiting.rowCount ? true : undefined;
        });
        await first.query('commit');
        expect(await waiting).toBe('memberships_last_owner');
        await second.query('rollback');
      } finally {
        first.release();
        second.release();
      }
      expect(await roleOf(a.id, sub.id)).toBe('Reader');
      expect(await roleOf(b.id, sub.id)).toBe('Owner');
    },
  );

  it('refuses non-Owners, other subscriptions and bad ids, and changes nothing', async () => {
    const admin = await owner();
    const sub = admin.subscriptions[0]!;
    const contributor = await join(await createTestUser(svc, { subscriptions: [] }), sub, 'Contributor');
    const stranger = await owner();
    const strangerSub = stranger.subscriptions[0]!;
    const { token } = await invited(admin);
    const [pending] = (await listPeople(svc.db, admin))[0]!.invitations;

    expect(
      await changeRole(svc, contributor, { subscriptionId: sub.id, userId: contributor.id, role: 'Owner' }),
    ).toEqual({ ok: false, message: messages.notOwner });
    expect(await removeMember(svc, contributor, { subscriptionId: sub.id, userId: admin.id })).toEqual({
      ok: false,
      message: messages.notOwner,
    });
    expect(await revokeInvitation(svc, contributor, { subscriptionId: sub.id, invitationId: pending!.id })).toEqual({
      ok: false,
      message: messages.notOwner,
    });
    // A stranger names this subscription: not found, as if it did not exist.
    for (const result of [
      await changeRole(svc, stranger, { subscriptionId: sub.id, userId: admin.id, role: 'Reader' }),
      await removeMember(svc, stranger, { subscriptionId: sub.id, userId: admin.id }),
      await revokeInvitation(svc, stranger, { subscriptionId: sub.id, invitationId: pending!.id }),
    ])
      expect(result).toEqual({ ok: false, message: messages.subscriptionNotFound });
    // The stranger names this subscription's member and invitation under their own subscription: not theirs either.
    expect(
      await changeRole(svc, stranger, { subscriptionId: strangerSub.id, userId: admin.id, role: 'Reader' }),
    ).toEqual({ ok: false, message: messages.memberNotFound });
    expect(await removeMember(svc, stranger, { subscriptionId: strangerSub.id, userId: admin.id })).toEqual({
      ok: false,
      message: messages.memberNotFound,
    });
    expect(
      await revokeInvitation(svc, stranger, { subscriptionId: strangerSub.id, invitationId: pending!.id }),
    ).toEqual({ ok: false, message: messages.invitationNotFound });
    expect(await changeRole(svc, admin, { subscriptionId: sub.id, userId: contributor.id, role: 'King' })).toEqual({
      ok: false,
      message: messages.role,
    });
    expect(await removeMember(svc, admin, { subscriptionId: sub.id, userId: 'nobody' })).toEqual({
      ok: false,
      message: messages.memberNotFound,
    });

    expect(await roleOf(admin.id, sub.id)).toBe('Owner');
    expect(await roleOf(contributor.id, sub.id)).toBe('Contributor');
    expect((await viewInvitation(svc.db, token)).state).toBe('pending');
    expect((await peopleLog(sub.id)).map((e) => e.operation)).toEqual(['Invite person']);
    // Strangers' lists hold only their own subscription's people.
    expect((await listPeople(svc.db, stranger)).map((s) => s.members.map((m) => m.email))).toEqual([[stranger.email]]);
  });
});
