import type { NewDialogData } from '@/components/shell/new-dialog';
import { currentUser } from '@/lib/auth/guard';
import { unauthenticated } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { allows } from '@/lib/vaults/access';
import { vaultNamesBySubscription } from '@/lib/vaults/queries';

export const dynamic = 'force-dynamic';

/**
 * What the New dialog asks for when it opens: the signed-in user's subscriptions (which of them the user may create
 * vaults in) and their vault names per subscription (at most 25 each), so it can check a name as the user types and
 * show the 25-vault limit. The server decides on CREATE VAULT anyway.
 */
export async function GET() {
  const user = await currentUser();
  if (!user) return unauthenticated();
  const names = await vaultNamesBySubscription((await getServices()).db, user);
  const body: NewDialogData = {
    choices: user.subscriptions.map((s) => ({ id: s.id, displayName: s.displayName, canCreate: allows(s, 'write') })),
    subscriptions: names,
  };
  return Response.json(body, { headers: { 'Cache-Control': 'private, no-store' } });
}
