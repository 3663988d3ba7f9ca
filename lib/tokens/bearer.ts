import 'server-only';
import type { Database } from '@/db/client';
import { loadUser, type PortalUser } from '@/lib/auth/users';
import { userIdForToken } from './tokens';

/**
 * The guard of the ARM API: `Authorization: Bearer TOKEN` acts as the token's user, with that user's subscriptions and
 * roles as they are now (loaded like a session's user), so a role change or a removal applies to their tokens at once.
 */
export async function bearerUser(db: Database, authorization: string | null): Promise<PortalUser | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return null;
  const userId = await userIdForToken(db, match[1]!);
  return userId ? loadUser(userId, db) : null;
}
