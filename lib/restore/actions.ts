'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { type ActionResult, actionOf } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { type PointSummary, pointsInRange, rangeSchema } from './browse';
import { requestRestore } from './requests';

/** The calendar's month: the item's recovery points in [from, to), the month's bounds in the browser's time zone. */
export async function pointsOfMonthAction(
  vaultId: string,
  itemId: string,
  range: { from: string; to: string },
): Promise<ActionResult<PointSummary[]>> {
  const user = await requireUser();
  const svc = await getServices();
  return actionOf(async (): Promise<ActionResult<PointSummary[]>> => {
    const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'read');
    const parsed = rangeSchema.safeParse(range);
    if (!parsed.success) return { ok: false, message: 'Choose a month.' };
    const points = await pointsInRange(svc.db, vault.id, itemId, new Date(parsed.data.from), new Date(parsed.data.to));
    return { ok: true, data: points };
  })();
}

/** RECOVER TO SERVER: queues the restore the browser sealed for the chosen server. */
export async function requestRestoreAction(input: {
  vaultId: string;
  itemId: string;
  pointId: string;
  serverId: string;
  keyId: string;
  requestId: string;
  request: string;
}): Promise<ActionResult> {
  const user = await requireUser();
  const result = await requestRestore(await getServices(), user, input);
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}
