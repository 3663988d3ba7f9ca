import 'server-only';
import { currentUser } from '@/lib/auth/guard';
import { answerRefusals, signInRequired } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { replicationAnswer } from './status';

/**
 * GET /api/vaults/{vaultId}/replication: the DASHBOARD's Replication figure, polled every few seconds while the page
 * is open. Anyone who may read the vault may ask; one probe of the database.
 */
export function replicationRoute(vaultId: string): Promise<Response> {
  return answerRefusals(async () => {
    const user = await currentUser();
    if (!user) throw signInRequired();
    const svc = await getServices();
    const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'read');
    return Response.json(await replicationAnswer(svc, vault), { headers: { 'Cache-Control': 'no-store' } });
  });
}
