import type pg from 'pg';

/** What is about to be deleted, in the caller's transaction: points, an item's points, keys' points, or a server. */
export type DeletedScope = { pointIds?: string[]; itemId?: string; keyIds?: string[]; serverId?: string };

/**
 * Fails the open restores (running, or requested and not yet taken) that read recovery points about to be deleted, or
 * run on a server about to be deleted, with the reason on their jobs. Call it in the deleting transaction, before the
 * delete: their rows go with the points (a cascade), and their jobs would otherwise stay In progress for ever. The
 * points (and the server) are locked first, so no restore of them can start between this and the delete.
 */
export async function failRestoresOfDeleted(
  client: pg.PoolClient,
  scope: DeletedScope,
  reason: string,
): Promise<number> {
  const params = [scope.pointIds ?? null, scope.itemId ?? null, scope.keyIds ?? null];
  if (scope.serverId) {
    await client.query('select id from registered_servers where id = $1 for update', [scope.serverId]);
  }
  await client.query(
    `select id from recovery_points
     where id = any($1::uuid[]) or item_id = $2::uuid or key_id = any($3::uuid[]) for update`,
    params,
  );
  const { rowCount } = await client.query(
    `with ended as (
       update restores r set running = false, ended_at = portal_now()
       from recovery_points p
       where p.id = r.point_id and r.ended_at is null
         and (p.id = any($1::uuid[]) or p.item_id = $2::uuid or p.key_id = any($3::uuid[]) or r.server_id = $4::uuid)
       returning r.operation_id
     )
     update operations o set status = 'Failed', progress = 100, seconds_left = 0, ended_at = portal_now(),
       updated_at = portal_now(),
       message = 'The ' || case when o.kind = 'Verify' then 'verification' else 'restore' end || ' of '''
         || o.item_name || ''' on ''' || o.server_name || ''' failed: ' || $5::text
     from ended where o.id = ended.operation_id and o.status = 'InProgress'`,
    [...params, scope.serverId ?? null, reason],
  );
  return rowCount ?? 0;
}
