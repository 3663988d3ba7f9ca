import 'server-only';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { OBJECT_ID_PATTERN } from '@/lib/backup-format/objects';
import { count, failSchema, hashToken, parseAgentBody, progressSchema } from '@/lib/backups/agent-input';
import { itemPathSchema } from '@/lib/backups/items';
import { readingWithFallback } from '@/lib/blob-store';
import { PortalError } from '@/lib/errors';
import type { AuthenticatedMachine } from '@/lib/registration/machine';
import type { Services } from '@/lib/services';
import { AGENT_MESSAGES, MAX_IDS_PER_CALL, type ProgressResponse, type StartRestoreResponse } from '@/wire/protocol';
import { authenticateRestoreToken, type RestoreSession, readObjectFrames } from './object-reads';

/** A running restore whose agent has not reported for this long is failed, as a backup is. */
export const RESTORE_HEARTBEAT_TIMEOUT_SECONDS = 60;
/** A RECOVER TO SERVER that no agent takes for this long fails: the agent's service is not running. */
export const RESTORE_REQUEST_TIMEOUT_MINUTES = 10;
const _READ_CONCURRENCY = 8;

const startSchema = z.union([
  z.object({
    path: itemPathSchema,
    fromServer: z.string().trim().min(1).max(200).optional(),
    point: z.string().max(100).optional(),
    verify: z.boolean().optional(),
  }),
  z.object({ requestId: z.uuid() }),
]);
const _readSchema = z.object({ ids: z.array(z.string().regex(OBJECT_ID_PATTERN)).min(1).max(MAX_IDS_PER_CALL) });
const completeSchema = z.object({
  filesDone: count,
  bytesDone: count,
  dataTransferred: count,
  skipped: count,
  copies: count,
  // A `verify` session's figures (agent/verify.ts).
  verified: z.object({ listings: count, chunks: count, chunksTotal: count }).optional(),
});
const failVerifySchema = failSchema.extend({ damaged: z.boolean().optional() });

type PointRow = {
  point_id: string;
  taken_at: Date;
  root_id: string;
  key_id: string;
  files: number;
  bytes: string;
  wrapped_key: unknown;
  item_id: string;
  item_path: string;
  source_server: string;
};

const POINT_COLUMNS = `p.id as point_id, p.taken_at, p.root_id, p.key_id, p.files, p.bytes, k.wrapped_key,
  i.id as item_id, i.path as item_path, s.name as source_server`;
const POINT_JOINS = `recovery_points p join backup_keys k on k.id = p.key_id
  join protected_items i on i.id = p.item_id join registered_servers s on s.id = i.server_id`;

/** The point `recover` asked for: of this machine's folder, or of another server's in the same vault. */
async function pointToRecover(
  client: pg.PoolClient,
  machine: AuthenticatedMachine,
  request: { path: string; fromServer?: string; point?: string },
): Promise<PointRow> {
  let serverId = machine.id;
  if (request.fromServer) {
    const { rows } = await client.query<{ id: string }>(
      'select id from registered_servers where vault_id = $1 and lower(name) = lower($2)',
      [machine.vaultId, request.fromServer],
    );
    if (!rows[0]) {
      throw new PortalError('not_found', `No server named '${request.fromServer}' is registered to this vault.`);
    }
    serverId = rows[0].id;
  }
  const { rows: items } = await client.query<{ id: string }>(
    'select id from protected_items where server_id = $1 and path = $2',
    [serverId, request.path],
  );
  if (!items[0]) {
    throw new PortalError(
      'not_found',
      request.fromServer
        ? `The folder '${request.path}' is not a protected item of '${request.fromServer}'.`
        : AGENT_MESSAGES.notProtected(request.path),
    );
  }
  const at = request.point && request.point !== 'latest' ? new Date(request.point) : null;
  if (at && Number.isNaN(at.getTime())) {
    throw new PortalError(
      'invalid',
      `--point must be latest or a time such as 2026-01-31T22:00:00Z, not '${request.point}'.`,
    );
  }
  const { rows } = await client.query<PointRow>(
    `select ${POINT_COLUMNS} from ${POINT_JOINS}
     where p.item_id = $1 and ($2::timestamptz is null or p.taken_at <= $2)
     order by p.taken_at desc, p.id desc limit 1`,
    [items[0].id, at],
  );
  if (!rows[0]) {
    throw new PortalError(
      'not_found',
      at
        ? `'${request.path}' has no recovery point taken at or before ${at.toISOString()}.`
        : `'${request.path}' has no recovery point yet.`,
    );
  }
  return rows[0];
}

function jobMessage(point: PointRow, serverName: string, verify = false): string {
  if (verify) return `Verifying '${point.item_path}' as of ${point.taken_at.toISOString()} on '${serverName}'...`;
  return `Recovering '${point.item_path}' as of ${point.taken_at.toISOString()} on '${serverName}'...`;
}

/**
 * Starts a restore: `recover` on a machine (a new Restore job), or the agent's service taking a RECOVER TO SERVER
 * request (which carries on the job the portal made). The token authenticates the restore's reads and reports.
 */
export async function startRestore(
  svc: Services,
  machine: AuthenticatedMachine,
  body: unknown,
): Promise<StartRestoreResponse> {
  const request = parseAgentBody(startSchema, body, 'restore request');
  // The emulator's fault rule (matched by the server's name): the agent prints its message.
  await svc.faults.check('Restore', { name: machine.name }).catch((err: Error) => {
    throw new PortalError('conflict', err.message);
  });
  const secret = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(secret).toString('hex');
  return withTransaction(svc.pool, async (_tx, client) => {
    let point: PointRow;
    let restoreId: string;
    let operationId: string;
    let sealed: StartRestoreResponse['request'];
    if ('requestId' in request) {
      const { rows } = await client.query<{
        id: string;
        point_id: string;
        operation_id: string;
        key_id: string;
        request: string;
        request_id: string;
      }>(
        `update restores set token_hash = $3, running = true, started_at = portal_now(), heartbeat_at = portal_now()
         where id = $1 and server_id = $2 and token_hash is null
         returning id, point_id, operation_id, key_id, request, request_id`,
        [request.requestId, machine.id, tokenHash],
      );
      const taken = rows[0];
      if (!taken) throw new PortalError('not_found', 'This restore request was already taken, or it was withdrawn.');
      const { rows: points } = await client.query<PointRow>(
        `select ${POINT_COLUMNS} from ${POINT_JOINS} where p.id = $1`,
        [taken.point_id],
      );
      if (!points[0]) throw new PortalError('not_found', 'The recovery point of this request no longer exists.');
      point = points[0];
      restoreId = taken.id;
      operationId = taken.operation_id;
      sealed = { keyId: taken.key_id, id: taken.request_id, sealed: taken.request };
      await client.query(
        `update operations set message = $2, bytes_done = 0, bytes_total = $3, files_done = 0, files_total = $4,
           data_transferred = 0, updated_at = portal_now()
         where id = $1 and status = 'InProgress'`,
        [operationId, jobMessage(point, machine.name), point.bytes, point.files],
      );
    } else {
      point = await pointToRecover(client, machine, request);
      // `verify` reads the point through the same session as a Verify job (no restore alerts: db trigger).
      const { rows: ops } = await client.query<{ id: string }>(
        `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, message, item_id, item_name,
           server_id, server_name, bytes_done, bytes_total, files_done, files_total, data_transferred)
         values (null, $1, $2, $3, $11, $4, $5, $6, $7, $8, 0, $9, 0, $10, 0) returning id`,
        [
          machine.subscriptionId,
          machine.vaultId,
          machine.vaultName,
          jobMessage(point, machine.name, request.verify === true),
          point.item_id,
          point.item_path,
          machine.id,
          machine.name,
          point.bytes,
          point.files,
          request.verify ? 'Verify' : 'Restore',
        ],
      );
      operationId = ops[0]!.id;
      const { rows } = await client.query<{ id: string }>(
        `insert into restores (point_id, server_id, operation_id, token_hash, running, started_at)
         values ($1, $2, $3, $4, true, portal_now()) returning id`,
        [point.point_id, machine.id, operationId, tokenHash],
      );
      restoreId = rows[0]!.id;
    }
    return {
      restoreId,
      token: `${restoreId}.${secret}`,
      operationId,
      itemPath: point.item_path,
      serverName: point.source_server,
      pointId: point.point_id,
      takenAt: point.taken_at.toISOString(),
      rootId: point.root_id,
      keyId: point.key_id,
      wrappedKey: point.wrapped_key,
      files: point.files,
      bytes: Number(point.bytes),
      ...(sealed ? { request: sealed } : {}),
    };
  });
}

export type { RestoreSession } from './object-reads';

/** The running restore a token stands for, or the refusal the agent stops on. */
export function authenticateRestore(
  svc: Services,
  restoreId: string,
  authorization: string | null,
): Promise<RestoreSession> {
  return authenticateRestoreToken(svc.pool, restoreId, authorization);
}

/** Sealed objects of the restore's point, as frames (see readObjectFrames; the portal's server has a fast path). */
export async function readObjects(svc: Services, restore: RestoreSession, body: unknown): Promise<Response> {
  const frames = await readObjectFrames(svc.pool, readingWithFallback(svc.store, svc.secondaryStore), restore, body);
  // Sealed objects do not compress: no-transform keeps the server from gzipping them for nothing.
  return new Response(frames, {
    headers: { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store, no-transform' },
  });
}

/** The agent's report, about once a second: the Restore job's live figures and the heartbeat. */
export async function reportRestoreProgress(
  svc: Services,
  restore: RestoreSession,
  body: unknown,
): Promise<ProgressResponse> {
  const r = parseAgentBody(progressSchema, body, 'progress report');
  await svc.pool.query(
    `update operations set bytes_done = $2::bigint, bytes_total = $3::bigint, files_done = $4, files_total = $5,
       bytes_per_second = $6, seconds_left = $7, data_transferred = $8,
       progress = case when $3::bigint > 0 then least(99, $2::bigint * 100 / $3::bigint)::int else 0 end,
       updated_at = portal_now()
     where id = $1 and status = 'InProgress'`,
    [
      restore.operationId,
      r.bytesDone,
      r.bytesTotal,
      r.filesDone,
      r.filesTotal,
      r.bytesPerSecond,
      r.secondsLeft,
      r.dataTransferred,
    ],
  );
  await touch(svc, restore.id);
  return { running: true };
}

export async function completeRestore(
  svc: Services,
  restore: RestoreSession,
  body: unknown,
): Promise<{ ended: boolean }> {
  const r = parseAgentBody(completeSchema, body, 'completion report');
  const notes = [
    r.skipped > 0 ? `${r.skipped.toLocaleString('en-US')} existing files were left as they were` : '',
    r.copies > 0 ? `${r.copies.toLocaleString('en-US')} were restored as copies beside existing files` : '',
  ].filter(Boolean);
  const ended = await endRestore(svc.pool, restore.id, 'Succeeded', notes.join('; '), r, { verified: r.verified });
  return { ended };
}

export async function failRestore(svc: Services, restore: RestoreSession, body: unknown): Promise<{ ended: boolean }> {
  const { message, damaged } = parseAgentBody(failVerifySchema, body, 'failure report');
  return { ended: await endRestore(svc.pool, restore.id, 'Failed', message, undefined, { damaged }) };
}

/**
 * Ends a restore and its job, once: conditional on the restore still being open (running, or a request not yet
 * taken), so a late report or a second sweeper changes nothing twice. A Verify job's message is the verification's:
 * what it checked, or the damage the agent found (which also raises a BackupDataDamaged alert for the item).
 */
async function endRestore(
  pool: pg.Pool,
  restoreId: string,
  status: 'Succeeded' | 'Failed',
  detail: string,
  figures?: { filesDone: number; bytesDone: number; dataTransferred: number },
  verify: { verified?: { listings: number; chunks: number; chunksTotal: number }; damaged?: boolean } = {},
): Promise<boolean> {
  return withTransaction(pool, async (_tx, client) => {
    const { rows } = await client.query<{ operation_id: string; kind: string; taken_at: Date }>(
      `update restores r set running = false, ended_at = portal_now()
       from operations o, recovery_points p
       where r.id = $1 and r.ended_at is null and o.id = r.operation_id and p.id = r.point_id
       returning r.operation_id, o.kind, p.taken_at`,
      [restoreId],
    );
    if (!rows[0]) return false;
    const isVerify = rows[0].kind === 'Verify';
    const verb = status === 'Succeeded' ? 'completed' : 'failed';
    const takenAt = rows[0].taken_at.toISOString();
    const whole =
      isVerify && status === 'Succeeded' && verify.verified
        ? AGENT_MESSAGES.pointVerified(
            takenAt,
            verify.verified.listings,
            verify.verified.chunks,
            verify.verified.chunksTotal,
          )
        : isVerify && status === 'Failed' && verify.damaged
          ? detail
          : null;
    const { rows: ended } = await client.query<{ id: string }>(
      `update operations set status = $2, progress = 100, seconds_left = 0, ended_at = portal_now(), updated_at = portal_now(),
         files_done = coalesce($4, files_done), bytes_done = coalesce($5, bytes_done),
         data_transferred = coalesce($6, data_transferred),
         message = coalesce($7::text, 'The ' || $8::text || ' of ''' || item_name || ''' on ''' || server_name || ''' ' || $3::text)
       where id = $1 and status = 'InProgress' returning id`,
      [
        rows[0].operation_id,
        status,
        detail ? `${verb}: ${detail.replace(/\.$/, '')}.` : `${verb}.`,
        figures?.filesDone ?? null,
        figures?.bytesDone ?? null,
        figures?.dataTransferred ?? null,
        whole,
        isVerify ? 'verification' : 'restore',
      ],
    );
    if (ended[0] && isVerify && status === 'Failed' && verify.damaged) {
      await client.query(
        `select raise_alert(vault_id, item_id, coalesce(item_name, ''), server_id, coalesce(server_name, ''),
           'BackupDataDamaged', message, id)
         from operations where id = $1 and vault_id is not null and item_id is not null`,
        [ended[0].id],
      );
    }
    return true;
  });
}

/** Fails restores whose agents stopped reporting, and requests no agent took in time: run by every worker. */
export async function failStaleRestores(svc: Services, now = svc.clock.now()): Promise<number> {
  const { rows } = await svc.pool.query<{ id: string; running: boolean }>(
    `select id, running from restores where ended_at is null
       and ((running and heartbeat_at < $1) or (token_hash is null and requested_at < $2))`,
    [
      new Date(now.getTime() - RESTORE_HEARTBEAT_TIMEOUT_SECONDS * 1000),
      new Date(now.getTime() - RESTORE_REQUEST_TIMEOUT_MINUTES * 60_000),
    ],
  );
  let ended = 0;
  for (const row of rows) {
    const why = row.running
      ? 'the agent stopped reporting progress (it was stopped, or lost its connection)'
      : `the agent did not start it within ${RESTORE_REQUEST_TIMEOUT_MINUTES} minutes. Is the agent running as a service (\`run\`) on the server?`;
    if (await endRestore(svc.pool, row.id, 'Failed', why)) ended += 1;
  }
  return ended;
}

async function touch(svc: Services, restoreId: string) {
  await svc.pool.query('update restores set heartbeat_at = portal_now() where id = $1', [restoreId]);
}
