import 'server-only';
import { lt } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { agentNonces } from '@/db/schema';

/**
 * Accepts a proof's nonce once: false when it was seen before. Nonces are kept until their proof would have expired
 * anyway, and expired ones are swept on the way. A conflict is not an error, so a caller's transaction stays usable.
 */
export async function consumeNonce(db: Database, nonce: string, expiresAtSeconds: number, now: Date): Promise<boolean> {
  await db.delete(agentNonces).where(lt(agentNonces.expiresAt, now));
  const inserted = await db
    .insert(agentNonces)
    .values({ nonce, expiresAt: new Date(expiresAtSeconds * 1000) })
    .onConflictDoNothing()
    .returning({ nonce: agentNonces.nonce });
  return inserted.length === 1;
}
