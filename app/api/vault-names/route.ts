import { currentUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { vaultNamesBySubscription } from '@/lib/vaults/queries';

export const dynamic = 'force-dynamic';

/**
 * The signed-in user's vault names per subscription (at most 25 each), fetched by the New dialog when it opens so it
 * can check a name as the user types and show the 25-vault limit. The server decides on CREATE VAULT anyway.
 */
export async function GET() {
  const user = await currentUser();
  if (!user)
    return Response.json({ error: { code: 'unauthenticated', message: 'Sign in to continue.' } }, { status: 401 });
  const names = await vaultNamesBySubscription((await getServices()).db, user);
  return Response.json({ subscriptions: names }, { headers: { 'Cache-Control': 'private, no-store' } });
}
