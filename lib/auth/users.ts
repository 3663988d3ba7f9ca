import 'server-only';
import { eq, sql } from 'drizzle-orm';
import { type Database, getDb } from '@/db/client';
import { memberships, subscriptions, users } from '@/db/schema';
import { decoyHash, verifyPassword } from './password';

export type Role = 'Owner' | 'Contributor' | 'Reader';
/** `vaultCount` (from loadUser): the vaults the subscription holds, kept by the database's triggers; the shell's counts. */
export type SubscriptionAccess = { id: string; displayName: string; role: Role; vaultCount?: number };
export type PortalUser = { id: string; email: string; subscriptions: SubscriptionAccess[] };

/** Returns the user id for a correct pair. An unknown email is checked against a decoy hash, so it takes as long. */
export async function authenticate(
  email: string,
  password: string,
  db: Database = getDb(),
): Promise<{ id: string; email: string } | null> {
  const [user] = await db
    .select({ id: users.id, email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.trim().toLowerCase()))
    .limit(1);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  return user && ok ? { id: user.id, email: user.email } : null;
}

export async function loadUser(userId: string, db: Database = getDb()): Promise<PortalUser | null> {
  const rows = await db
    .select({
      email: users.email,
      subscriptionId: subscriptions.id,
      displayName: subscriptions.displayName,
      role: memberships.role,
      vaultCount: subscriptions.vaultCount,
    })
    .from(users)
    .leftJoin(memberships, eq(memberships.userId, users.id))
    .leftJoin(subscriptions, eq(subscriptions.id, memberships.subscriptionId))
    .where(eq(users.id, userId))
    .orderBy(subscriptions.displayName, subscriptions.id);
  if (rows.length === 0) return null;
  return {
    id: userId,
    email: rows[0]!.email,
    subscriptions: rows.flatMap((r) =>
      r.subscriptionId && r.displayName && r.role
        ? [{ id: r.subscriptionId, displayName: r.displayName, role: r.role, vaultCount: r.vaultCount ?? 0 }]
        : [],
    ),
  };
}
