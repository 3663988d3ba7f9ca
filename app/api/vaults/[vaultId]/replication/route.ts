import { replicationRoute } from '@/lib/replication/http';

export const dynamic = 'force-dynamic';

/** The vault DASHBOARD's live Replication figure (lib/replication/http.ts). */
export async function GET(_request: Request, { params }: { params: Promise<{ vaultId: string }> }) {
  return replicationRoute((await params).vaultId);
}
