import 'server-only';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Database, withTransaction } from '@/db/client';
import { invitations, memberships, subscriptions, users } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import { hashPassword } from '@/lib/auth/password';
import type { PortalUser, Role, SubscriptionAccess } from '@/lib/auth/users';
import { type ActionResult, actionOf, fieldRefusal, PortalError, violatedConstraint } from '@/lib/errors';
import { hashSecret } from '@/lib/secrets';
import type { Services } from '@/lib/services';
import { subscriptionAccessOrThrow } from '@/lib/vaults/access';
import {
  changeRoleSchema,
  fieldErrorsOf,
  INVITATION_DAYS,
  invitationSchema,
  invitationTokenSchema,
  inviteSchema,
  memberSchema,
  messages,
  newPasswordSchema,
} from './validation';

export type Member = { userId: string; email: string; role: Role };
export type PendingInvitation = { id: string; email: string; role: Role; expiresAt: Date; invitedBy: string | null };
export type SubscriptionPeople = SubscriptionAccess & { members: Member[]; invitations: PendingInvitation[] };

const hashToken = hashSecret;

/**
 * Runs a people change in one transaction. Refusals decided inside it (PortalErrors, thrown to roll it back), and the
 * database's refusal to lose a subscription's last Owner (trigger memberships_keep_an_owner), become the result;
 * anything else is thrown.
 */
function change<T>(svc: Services, work: (tx: Database) => Promise<T>): Promise<ActionResult<T>> {
  return actionOf(async (): Promise<ActionResult<T>> => {
    try {
      return { ok: true, data: await withTransaction(svc.pool, (tx) => work(tx)) };
    } catch (err) {
      if (violatedConstraint(err) === 'memberships_last_owner') throw new PortalError('conflict', messages.lastOwner);
      throw err;
    }
  })();
}

/** The caller's Owner access to the subscription, or its refusal: a stranger's subscription is not found. */
function ownerOf(user: PortalUser, subscriptionId: string): SubscriptionAccess {
  return subscriptionAccessOrThrow(user, subscriptionId, 'manage', {
    notFound: new PortalError('not_found', messages.subscriptionNotFound),
    forbidden: new PortalError('forbidden', messages.notOwner),
  });
}

/**
 * Inside the change's transaction: takes the subscription's row lock (the one the last-Owner trigger takes, so people
 * changes of a subscription are ordered) and checks again, now, that the caller is still its Owner.
 */
async function lockAsOwner(tx: Database, userId: string, subscriptionId: string): Promise<void> {
  const locked = await tx.execute(sql`select 1 from ${subscriptions} where id = ${subscriptionId} for update`);
  if (locked.rows.length === 0) throw new PortalError('not_found', messages.subscriptionNotFound);
  // A statement of its own, after the lock: it sees what the change that held the lock committed.
  const [membership] = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.subscriptionId, subscriptionId), eq(memberships.userId, userId)));
  if (!membership) throw new PortalError('not_found', messages.subscriptionNotFound);
  if (membership.role !== 'Owner') throw new PortalError('forbidden', messages.notOwner);
}

const actorOf = (user: PortalUser) => ({ id: user.id, email: user.email });

/** Every subscription of the user with its members and pending invitations. */
export async function listPeople(db: Database, user: PortalUser): Promise<SubscriptionPeople[]> {
  const ids = user.subscriptions.map((s) => s.id);
  if (ids.length === 0) return [];
  const inviter = alias(users, 'inviter');
  const [memberRows, invitationRows] = await Promise.all([
    db
      .select({
        subscriptionId: memberships.subscriptionId,
        userId: users.id,
        email: users.email,
        role: memberships.role,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(inArray(memberships.subscriptionId, ids))
      .orderBy(asc(sql`lower(${users.email})`)),
    db
      .select({
        subscriptionId: invitations.subscriptionId,
        id: invitations.id,
        email: invitations.email,
        role: invitations.role,
        expiresAt: invitations.expiresAt,
        invitedBy: inviter.email,
      })
      .from(invitations)
      .leftJoin(inviter, eq(inviter.id, invitations.invitedBy))
      .where(
        and(
          inArray(invitations.subscriptionId, ids),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, sql`portal_now()`),
        ),
      )
      .orderBy(asc(invitations.createdAt), asc(invitations.id)),
  ]);
  return user.subscriptions.map((s) => ({
    ...s,
    members: memberRows.filter((m) => m.subscriptionId === s.id).map(({ subscriptionId: _, ...m }) => m),
    invitations: invitationRows.filter((i) => i.subscriptionId === s.id).map(({ subscriptionId: _, ...i }) => i),
  }));
}

/**
 * An Owner invites a person by email with a role: a new single-use link valid 7 days, of which only the SHA-256 of the
 * token is kept. A newer invitation of the same email to the same subscription replaces a pending one.
 */
export const invite = actionOf(async function invite(
  svc: Services,
  user: PortalUser,
  input: unknown,
  origin: string,
): Promise<ActionResult<{ invitationId: string; link: string }>> {
  const parsed = inviteSchema.safeParse(input);
  if (!parsed.success) return { ok: false, fieldErrors: fieldErrorsOf(parsed.error) };
  const { subscriptionId, email, role } = parsed.data;
  ownerOf(user, subscriptionId);

  const token = randomBytes(32).toString('base64url');
  return change(svc, async (tx) => {
    await lockAsOwner(tx, user.id, subscriptionId);
    const { rows: existing } = await tx.execute(sql`
      select 1 from ${memberships} m join ${users} u on u.id = m.user_id
      where m.subscription_id = ${subscriptionId} and lower(u.email) = ${email}`);
    if (existing.length > 0) throw fieldRefusal('duplicate', { email: messages.alreadyMember(email) });
    const replaced = await tx
      .update(invitations)
      .set({ revokedAt: sql`portal_now()` })
      .where(
        and(
          eq(invitations.subscriptionId, subscriptionId),
          eq(invitations.email, email),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
        ),
      )
      .returning({ id: invitations.id });
    const [row] = await tx
      .insert(invitations)
      .values({
        subscriptionId,
        email,
        role,
        tokenHash: hashToken(token),
        invitedBy: user.id,
        expiresAt: sql`portal_now() + make_interval(days => ${INVITATION_DAYS})`,
      })
      .returning({ id: invitations.id });
    await logChange(tx, {
      actor: actorOf(user),
      subscriptionId,
      category: 'People',
      operation: 'Invite person',
      target: email,
      after: { role },
      detail: replaced.length > 0 ? 'Replaces a pending invitation of the same email.' : null,
    });
    return { invitationId: row!.id, link: `${origin}/invitations/${token}` };
  });
});

/** An Owner revokes a pending invitation: its link stops working. */
export const revokeInvitation = actionOf(async function revokeInvitation(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult> {
  const parsed = invitationSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: Object.values(fieldErrorsOf(parsed.error))[0] };
  const { subscriptionId, invitationId } = parsed.data;
  ownerOf(user, subscriptionId);
  return change(svc, async (tx) => {
    await lockAsOwner(tx, user.id, subscriptionId);
    const [row] = await tx
      .update(invitations)
      .set({ revokedAt: sql`portal_now()` })
      .where(
        and(
          eq(invitations.id, invitationId),
          eq(invitations.subscriptionId, subscriptionId),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, sql`portal_now()`),
        ),
      )
      .returning({ email: invitations.email, role: invitations.role });
    if (!row) throw new PortalError('not_found', messages.invitationNotFound);
    await logChange(tx, {
      actor: actorOf(user),
      subscriptionId,
      category: 'People',
      operation: 'Revoke invitation',
      target: row.email,
      before: { role: row.role },
    });
    return undefined;
  });
});

/** The member's email and role, row-locked for the change. */
async function lockMember(tx: Database, subscriptionId: string, userId: string) {
  const { rows } = await tx.execute<{ email: string; role: Role }>(sql`
    select u.email, m.role from ${memberships} m join ${users} u on u.id = m.user_id
    where m.subscription_id = ${subscriptionId} and m.user_id = ${userId}
    for update of m`);
  if (!rows[0]) throw new PortalError('not_found', messages.memberNotFound);
  return rows[0];
}

/** An Owner changes a member's role; the database refuses to demote the last Owner. */
export const changeRole = actionOf(async function changeRole(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult> {
  const parsed = changeRoleSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: Object.values(fieldErrorsOf(parsed.error))[0] };
  const { subscriptionId, userId, role } = parsed.data;
  ownerOf(user, subscriptionId);
  return change(svc, async (tx) => {
    await lockAsOwner(tx, user.id, subscriptionId);
    const member = await lockMember(tx, subscriptionId, userId);
    if (member.role === role) return undefined;
    await tx
      .update(memberships)
      .set({ role })
      .where(and(eq(memberships.subscriptionId, subscriptionId), eq(memberships.userId, userId)));
    await logChange(tx, {
      actor: actorOf(user),
      subscriptionId,
      category: 'People',
      operation: 'Change role',
      target: member.email,
      before: { role: member.role },
      after: { role },
    });
    return undefined;
  });
});

/** An Owner removes a member from the subscription (their account stays); the database keeps the last Owner. */
export const removeMember = actionOf(async function removeMember(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult> {
  const parsed = memberSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: Object.values(fieldErrorsOf(parsed.error))[0] };
  const { subscriptionId, userId } = parsed.data;
  ownerOf(user, subscriptionId);
  return change(svc, async (tx) => {
    await lockAsOwner(tx, user.id, subscriptionId);
    const member = await lockMember(tx, subscriptionId, userId);
    await tx
      .delete(memberships)
      .where(and(eq(memberships.subscriptionId, subscriptionId), eq(memberships.userId, userId)));
    await logChange(tx, {
      actor: actorOf(user),
      subscriptionId,
      category: 'People',
      operation: 'Remove member',
      target: member.email,
      before: { role: member.role },
    });
    return undefined;
  });
});

export type InvitationState = keyof typeof messages.link;

export type InvitationView =
  | { state: InvitationState; message: string }
  | {
      state: 'pending';
      email: string;
      role: Role;
      subscription: string;
      invitedBy: string | null;
      expiresAt: Date;
      accountExists: boolean;
    };

/** What an invitation link shows, without changing anything. */
export async function viewInvitation(db: Database, token: unknown): Promise<InvitationView> {
  const parsed = invitationTokenSchema.safeParse(token);
  if (!parsed.success) return { state: 'unknown', message: messages.link.unknown };
  const inviter = alias(users, 'inviter');
  const [row] = await db
    .select({
      email: invitations.email,
      role: invitations.role,
      subscription: subscriptions.displayName,
      invitedBy: inviter.email,
      expiresAt: invitations.expiresAt,
      acceptedAt: invitations.acceptedAt,
      revokedAt: invitations.revokedAt,
      expired: sql<boolean>`${invitations.expiresAt} <= portal_now()`,
      accountExists: sql<boolean>`exists (select 1 from ${users} u where lower(u.email) = lower(${invitations.email}))`,
    })
    .from(invitations)
    .innerJoin(subscriptions, eq(subscriptions.id, invitations.subscriptionId))
    .leftJoin(inviter, eq(inviter.id, invitations.invitedBy))
    .where(eq(invitations.tokenHash, hashToken(parsed.data)))
    .limit(1);
  if (!row) return { state: 'unknown', message: messages.link.unknown };
  const state: InvitationState | null = row.acceptedAt
    ? 'used'
    : row.revokedAt
      ? 'revoked'
      : row.expired
        ? 'expired'
        : null;
  if (state) return { state, message: messages.link[state] };
  const { acceptedAt: _a, revokedAt: _r, expired: _e, ...pending } = row;
  return { state: 'pending', ...pending };
}

/**
 * Accepts an invitation, once. Signed out, it creates the account (email of the invitation, the chosen password);
 * signed in as the invited email's account, it adds the membership to that account. Either way the invitation is
 * marked accepted by one conditional update (not accepted, not revoked, not expired) in the same transaction as the
 * account, the membership and the log entry, so two tries at once make one member and a refused try changes nothing.
 */
export async function acceptInvitation(
  svc: Services,
  signedIn: PortalUser | null,
  input: { token: unknown; password?: unknown; confirmPassword?: unknown },
): Promise<ActionResult<{ email: string; newAccount: boolean }>> {
  const view = await viewInvitation(svc.db, input.token);
  if (view.state !== 'pending') return { ok: false, message: view.message };
  if (signedIn && signedIn.email.toLowerCase() !== view.email.toLowerCase())
    return { ok: false, message: messages.otherAccount(view.email, signedIn.email) };

  let passwordHash: string | undefined;
  if (!signedIn) {
    if (view.accountExists) return { ok: false, message: messages.accountExists(view.email) };
    const parsed = newPasswordSchema.safeParse({ password: input.password, confirmPassword: input.confirmPassword });
    if (!parsed.success) return { ok: false, fieldErrors: fieldErrorsOf(parsed.error) };
    passwordHash = await hashPassword(parsed.data.password);
  }
  const tokenHash = hashToken(input.token as string);

  try {
    return await change(svc, async (tx) => {
      const [invitation] = await tx
        .update(invitations)
        .set({ acceptedAt: sql`portal_now()` })
        .where(
          and(
            eq(invitations.tokenHash, tokenHash),
            isNull(invitations.acceptedAt),
            isNull(invitations.revokedAt),
            gt(invitations.expiresAt, sql`portal_now()`),
          ),
        )
        .returning({ id: invitations.id, subscriptionId: invitations.subscriptionId, role: invitations.role });
      if (!invitation) {
        const now = await viewInvitation(tx, input.token);
        throw new PortalError('conflict', now.state === 'pending' ? messages.link.used : now.message);
      }
      let account: { id: string; email: string };
      if (signedIn) {
        account = { id: signedIn.id, email: signedIn.email };
      } else {
        const [created] = await tx
          .insert(users)
          .values({ email: view.email, passwordHash: passwordHash! })
          .returning({ id: users.id, email: users.email });
        account = created!;
      }
      const joined = await tx
        .insert(memberships)
        .values({ userId: account.id, subscriptionId: invitation.subscriptionId, role: invitation.role })
        .onConflictDoNothing()
        .returning({ userId: memberships.userId });
      if (joined.length === 0)
        throw new PortalError('duplicate', messages.alreadyJoined(account.email, view.subscription));
      await tx.update(invitations).set({ acceptedBy: account.id }).where(eq(invitations.id, invitation.id));
      await logChange(tx, {
        actor: account,
        subscriptionId: invitation.subscriptionId,
        category: 'People',
        operation: 'Accept invitation',
        target: account.email,
        after: { role: invitation.role },
        detail: signedIn ? 'Joined with an existing account.' : 'Created an account.',
      });
      return { email: account.email, newAccount: !signedIn };
    });
  } catch (err) {
    // The account was made by someone else between the look and the insert.
    if (violatedConstraint(err) === 'users_email_lower_key')
      return { ok: false, message: messages.accountExists(view.email) };
    throw err;
  }
}
