import { createHash } from 'node:crypto';
import { cookies } from 'next/headers';
import { getAuthOptions } from '@/lib/auth/options';
import { sessionUserId } from '@/lib/auth/session';
import { unauthenticated } from '@/lib/errors';
import { listOpenOperations } from '@/lib/operations/queries';
import { getServices } from '@/lib/services';

export const dynamic = 'force-dynamic';

/**
 * The Notifications region's poll, sent every second while work runs: the session and one indexed query (not the
 * page guard's user and memberships), and an ETag so an unchanged answer is a bodiless 304.
 */
export async function GET(request: Request) {
  const userId = await sessionUserId(await cookies(), getAuthOptions().secret!);
  const { db } = await getServices();
  const operations = userId ? await listOpenOperations(db, userId) : null;
  if (!operations) return unauthenticated();
  const body = JSON.stringify({ operations });
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  // Private and revalidated on every poll: the browser keeps the last answer and asks whether it changed.
  const headers = { ETag: etag, 'Cache-Control': 'private, no-cache' };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { headers: { ...headers, 'Content-Type': 'application/json' } });
}
