import { currentUser } from '@/lib/auth/guard';
import { listOpenOperations } from '@/lib/operations/queries';
import { getServices } from '@/lib/services';

export const dynamic = 'force-dynamic';

/** The Notifications region's poll: the caller's open operations only, small and indexed. */
export async function GET() {
  const user = await currentUser();
  if (!user) return Response.json({ error: 'Sign in to continue.' }, { status: 401 });
  const { db } = await getServices();
  return Response.json(
    { operations: await listOpenOperations(db, user.id) },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
