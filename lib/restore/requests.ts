import 'server-only';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import type { PortalUser } from '@/lib/auth/users';
import { OBJECT_ID_PATTERN } from '@/lib/backup-format/objects';
import { type ActionResult, actionOf } from '@/lib/errors';
import { startItemJob } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { RESTORE_REQUEST_TIMEOUT_MINUTES } from './sessions';

/** A registered server a restore can go to, with the newest wrapped key its agent holds (absent before its first). */
export type RestoreTarget = { serverId: string; name: string; keyId: string | null; wrappedKey: unknown };

export async function restoreTargets(svc: Services, vaultId: string): Promise<RestoreTarget[]> {
  const { rows } = await svc.pool.query<{ id: string; name: string; key_id: string | null; wrapped_key: unknown }>(
    `select s.id, s.name, k.id as key_id, k.wrapped_key from registered_servers s
     left join lateral (select id, wrapped_key from backup_keys where server_id = s.id
       order by created_at desc, id desc limit 1) k on true
     where s.vault_id = $1 order by lower(s.name)`,
    [vaultId],
  );
  return rows.map((r) => ({ serverId: r.id, name: r.name, keyId: r.key_id, wrappedKey: r.wrapped_key }));
}

const MAX_SEALED_REQUEST = 64 * 1024;

const requestSchema = z.object({
  vaultId: z.uuid(),
  itemId: z.uuid(),
  pointId: z.uuid(),
  serverId: z.uuid(),
  keyId: z.uuid(),
  requestId: z.string().regex(OBJECT_ID_PATTERN),
  request: z.base64().max(MAX_SEALED_REQUEST),
});

/**
 * RECOVER TO SERVER: a Restore job appears at once, waiting for the chosen server's agent (in `run` mode), which takes
 * the request at its next poll. What to restore and where travel sealed under that server's key: the portal keeps
 * the request without being able to read it.
 */
export const requestRestore = actionOf(async function requestRestore(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult> {
  const parsed = requestSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: 'The restore request is not valid.' };
  const request = parsed.data;
  const { vault } = await vaultAccessOrThrow(svc.db, user, request.vaultId, 'write', { states: ['Active'] });
  return withTransaction(svc.pool, async (_tx, client) => {
    const { rows } = await client.query<{ item_path: string; server_name: string }>(
      `select i.path as item_path, s.name as server_name
       from recovery_points p join protected_items i on i.id = p.item_id
       join registered_servers s on s.vault_id = p.vault_id and s.id = $4
       join backup_keys k on k.server_id = s.id and k.id = $5
       where p.id = $1 and p.item_id = $2 and p.vault_id = $3`,
      [request.pointId, request.itemId, vault.id, request.serverId, request.keyId],
    );
    const found = rows[0];
    if (!found) return { ok: false, message: 'The recovery point or the server was not found.' };
    const operationId = await startItemJob(client, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'Restore',
      message: `Waiting for the agent on '${found.server_name}' to start the restore of '${found.item_path}'...`,
      itemId: request.itemId,
      itemName: found.item_path,
      serverId: request.serverId,
      serverName: found.server_name,
    });
    await client.query(
      `insert into restores (point_id, server_id, operation_id, key_id, request, request_id, requested_by)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [request.pointId, request.serverId, operationId, request.keyId, request.request, request.requestId, user.id],
    );
    return {
      ok: true,
      data: undefined,
      message: `A restore of '${found.item_path}' was requested: the agent on '${found.server_name}' starts it within 10 seconds if it runs as a service, or the job fails after ${RESTORE_REQUEST_TIMEOUT_MINUTES} minutes.`,
    };
  });
});
