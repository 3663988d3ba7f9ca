import 'server-only';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { users } from '@/db/schema';
import { processDatabase } from '@/lib/services';
import { decoyHash, verifyPassword } from './password';

export type Role = 'Owner' | 'Contributor' | 'Reader';
/** `vaultCount` (from loadUser): the vaults the subscription holds, kept by the database's triggers; the shell's counts. */
export type SubscriptionAccess = { id: string; displayName: string; role: Role; vaultCount?: number };
export type PortalUser = { id: string; email: string; subscriptions: SubscriptionAccess[] };

/** Returns the user id for a correct pair. An unknown email is checked against a decoy hash, so it takes as long. */
export async function authenticate(
  email: string,
  password: string,
  db: Database = processDatabase().db,
): Promise<{ id: string; email: string } | null> {
  const [user] = await db
    .select({ id: users.id, email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.trim().toLowerCase()))
    .limit(1);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  return user && ok ? { id: user.id, email: user.email } : null;
}

/**
 * The user and their subscriptions (with each one's vault count), or null when there is no such user. Run for every
 * page and most requests, so it is plain SQL on the pool (an unnamed statement, as drizzle sends too) rather than
 * built and mapped by drizzle on every call: that took about a millisecond of the server's CPU per page (issue 13).
 */
export async function loadUser(userId: string, db: Database = processDatabase().db): Promise<PortalUser | null> {
  const { rows } = await db.$client.query<{
    email: string;
    subscriptionId: string | null;
    displayName: string | null;
    role: Role | null;
    vaultCount: number | null;
  }>(LOAD_USER, [userId]);
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

const LOAD_USER = `
  select u.email, s.id as "subscriptionId", s.display_name as "displayName", m.role, s.vault_count as "vaultCount"
  from users u
  left join memberships m on m.user_id = u.id
  left join subscriptions s on s.id = m.subscription_id
  where u.id = $1
  order by s.display_name, s.id`;
