import { answerRefusals, PortalError } from '@/lib/errors';
import { pointObject } from '@/lib/restore/browse';
import { readableVault } from '@/lib/restore/guard';

export const dynamic = 'force-dynamic';

type Params = { vaultId: string; itemId: string; pointId: string; objectId: string };

/**
 * One sealed object of a point (a listing or a chunk), as stored: the browser decrypts it. Objects never change
 * (an id names its content), so the browser may keep them, privately.
 */
export async function GET(_request: Request, { params }: { params: Promise<Params> }) {
  const { vaultId, itemId, pointId, objectId } = await params;
  return answerRefusals(async () => {
    const access = await readableVault(vaultId);
    const sealed = await pointObject(access.svc, access.vault.id, itemId, pointId, objectId);
    if (!sealed) throw new PortalError('not_found', 'The recovery point holds no such object.');
    return new Response(sealed as Uint8Array<ArrayBuffer>, {
      headers: {
        'Content-Type': 'application/octet-stream',
        // no-transform: sealed bytes do not compress, so the server does not try.
        'Cache-Control': 'private, max-age=31536000, immutable, no-transform',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });
}
