import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { memberships, subscriptions, users } from '@/db/schema';
import { generatePassword, hashPassword } from '@/lib/auth/password';
import { writePrivateFile } from '@/lib/secrets';
import type { Env } from '@/lib/services/settings';

const SEED_LOCK = 7_246_002;

export type FirstAdmin = { email: string; generatedPassword?: string; credentialsFile?: string };

/**
 * The contract's first-admin rule: when no user exists, create the admin (from the settings, or admin@localhost with a
 * random password saved with mode 0600) as Owner of a subscription named Free Trial. Returns undefined when users exist.
 */
export async function ensureFirstAdmin(db: Database, env: Env): Promise<FirstAdmin | undefined> {
  const email = (env.PORTAL_ADMIN_EMAIL ?? 'admin@localhost').toLowerCase();
  const generatedPassword = env.PORTAL_ADMIN_PASSWORD ? undefined : generatePassword();
  const passwordHash = await hashPassword(env.PORTAL_ADMIN_PASSWORD ?? generatedPassword!);

  const created = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
    const existing = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing.length > 0) return false;
    const [user] = await tx.insert(users).values({ email, passwordHash }).returning({ id: users.id });
    const [subscription] = await tx
      .insert(subscriptions)
      .values({ displayName: 'Free Trial' })
      .returning({ id: subscriptions.id });
    await tx.insert(memberships).values({ userId: user!.id, subscriptionId: subscription!.id, role: 'Owner' });
    return true;
  });
  if (!created) return undefined;
  if (!generatedPassword) return { email };

  const credentialsFile = path.join(env.dataDir, 'admin-credentials.txt');
  writePrivateFile(credentialsFile, `email: ${email}\npassword: ${generatedPassword}\n`);
  return { email, generatedPassword, credentialsFile };
}
