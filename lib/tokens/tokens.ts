import 'server-only';
import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { personalAccessTokens } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import { hashSecret } from '@/lib/secrets';

/** Recognisable in logs and secret scanners; the rest is 256 random bits. */
const TOKEN_PREFIX = 'bvp_';
const TOKEN_SHAPE = /^bvp_[A-Za-z0-9_-]{43}$/;

export type TokenRow = { id: string; prefix: string; createdAt: Date; lastUsedAt: Date | null };

const hashToken = hashSecret;

type TokenOwner = { id: string; email: string };

/**
 * A new token for the user. The value is returned once and never stored: only its hash is. Logged in the user's own
 * chain of the operation logs (a token belongs to a person, not to a subscription).
 */
export async function createToken(db: Database, user: TokenOwner): Promise<{ id: string; token: string }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(personalAccessTokens)
      .values({ userId: user.id, tokenHash: hashToken(token), prefix })
      .returning({ id: personalAccessTokens.id });
    await logChange(tx, {
      actor: user,
      category: 'Tokens',
      operation: 'Create personal access token',
      target: `${prefix}…`,
      after: { id: row!.id, prefix },
    });
    return { id: row!.id, token };
  });
}

/** The user's tokens that still work, newest first. */
export async function listTokens(db: Database, userId: string): Promise<TokenRow[]> {
  return db
    .select({
      id: personalAccessTokens.id,
      prefix: personalAccessTokens.prefix,
      createdAt: personalAccessTokens.createdAt,
      lastUsedAt: personalAccessTokens.lastUsedAt,
    })
    .from(personalAccessTokens)
    .where(and(eq(personalAccessTokens.userId, userId), isNull(personalAccessTokens.revokedAt)))
    .orderBy(desc(personalAccessTokens.createdAt), desc(personalAccessTokens.id));
}

/** Revokes one of the user's own tokens; returns whether it was theirs and still working. */
export async function revokeToken(db: Database, user: TokenOwner, tokenId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(personalAccessTokens)
      .set({ revokedAt: sql`portal_now()` })
      .where(
        and(
          eq(personalAccessTokens.id, tokenId),
          eq(personalAccessTokens.userId, user.id),
          isNull(personalAccessTokens.revokedAt),
        ),
      )
      .returning({ id: personalAccessTokens.id, prefix: personalAccessTokens.prefix });
    if (!row) return false;
    await logChange(tx, {
      actor: user,
      category: 'Tokens',
      operation: 'Revoke personal access token',
      target: `${row.prefix}…`,
      before: { id: row.id, prefix: row.prefix, revoked: false },
      after: { id: row.id, prefix: row.prefix, revoked: true },
    });
    return true;
  });
}

/** The user a presented token acts as, recording its use; null for a malformed, unknown or revoked token. */
export async function userIdForToken(db: Database, token: string): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const [row] = await db
    .update(personalAccessTokens)
    .set({ lastUsedAt: sql`portal_now()` })
    .where(and(eq(personalAccessTokens.tokenHash, hashToken(token)), isNull(personalAccessTokens.revokedAt)))
    .returning({ userId: personalAccessTokens.userId });
  return row?.userId ?? null;
}
