import 'server-only';
import type { Services } from '@/lib/services';
import type { RestoreRequestView } from '@/wire/protocol';

/** The machine's requests no restore took yet: the agent's service carries them out, oldest first. */
export async function pendingRestores(svc: Services, serverId: string): Promise<RestoreRequestView[]> {
  const { rows } = await svc.pool.query<{ id: string; item_path: string; requested_at: Date }>(
    `select r.id, i.path as item_path, r.requested_at from restores r
     join recovery_points p on p.id = r.point_id join protected_items i on i.id = p.item_id
     where r.server_id = $1 and r.token_hash is null and r.ended_at is null order by r.requested_at`,
    [serverId],
  );
  return rows.map((r) => ({ id: r.id, itemPath: r.item_path, requestedAt: r.requested_at.toISOString() }));
}
