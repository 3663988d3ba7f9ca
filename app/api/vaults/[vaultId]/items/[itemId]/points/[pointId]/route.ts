import { answerRefusals, PortalError } from '@/lib/errors';
import { pointKey } from '@/lib/restore/browse';
import { readableVault } from '@/lib/restore/guard';

export const dynamic = 'force-dynamic';

type Params = { vaultId: string; itemId: string; pointId: string };

/** What the recovery-point browser opens a point with: its root listing's id and the wrapped vault key. */
export async function GET(_request: Request, { params }: { params: Promise<Params> }) {
  const { vaultId, itemId, pointId } = await params;
  return answerRefusals(async () => {
    const access = await readableVault(vaultId);
    const point = await pointKey(access.svc.db, access.vault.id, itemId, pointId);
    if (!point) throw new PortalError('not_found', 'The recovery point was not found.');
    return Response.json(point, { headers: { 'Cache-Control': 'no-store' } });
  });
}
