/**
 * A backup session's bulk path: authenticating its token and storing a batch of sealed objects. Kept free of
 * 'server-only' and of Next, so that the portal's HTTP server (scripts/serve.ts, server/http/agent-data.ts) can take the
 * uploads straight from the socket; the route handler (app/api/agent/backups/[sessionId]/objects) calls the same code.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { MAX_SEALED_SIZE, OBJECT_ID_PATTERN, SEAL_OVERHEAD } from '@/lib/backup-format/objects';
import type { BlobStore } from '@/lib/blob-store';
import { PortalError } from '@/lib/errors';
import { isUuid } from '@/lib/http/input';
import { readFrame } from '@/wire/frame';
import { AGENT_MESSAGES, MAX_IDS_PER_CALL, type MissingResponse, type ObjectsResponse } from '@/wire/protocol';
import { hashToken, parseAgentBody } from './agent-input';
import { buildPack, packBlobKey } from './packs';

/**
 * How stale a session's heartbeat (a backup's or a restore's) may be before a bulk call writes it again: far below
 * the 60 s without one that fail the session.
 */
export const HEARTBEAT_EVERY_SECONDS = 5;

export type BackupSession = {
  id: string;
  keyId: string;
  itemId: string;
  operationId: string;
  startedAt: Date;
  /** The session's heartbeat was last written more than HEARTBEAT_EVERY_SECONDS ago (see storeObjectBatch). */
  heartbeatDue?: boolean;
};

/** The running session a session token stands for, or the refusal the agent stops on. */
export async function authenticateSessionToken(
  pool: pg.Pool,
  sessionId: string,
  authorization: string | null | undefined,
): Promise<BackupSession> {
  const match = authorization?.match(/^Bearer ([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/);
  if (!match || match[1] !== sessionId || !isUuid(sessionId)) {
    throw new PortalError('invalid_token', AGENT_MESSAGES.invalid);
  }
  const { rows } = await pool.query<{
    id: string;
    key_id: string;
    item_id: string;
    operation_id: string;
    started_at: Date;
    token_hash: string;
    running: boolean;
    heartbeat_due: boolean;
  }>(
    `select id, key_id, item_id, operation_id, started_at, token_hash, running,
       heartbeat_at < portal_now() - make_interval(secs => $2) as heartbeat_due
     from backup_sessions where id = $1`,
    [sessionId, HEARTBEAT_EVERY_SECONDS],
  );
  const session = rows[0];
  const expected = session ? Buffer.from(session.token_hash, 'hex') : Buffer.alloc(32);
  const actual = hashToken(match[2]!);
  if (!session || !timingSafeEqual(expected, actual)) throw new PortalError('invalid_token', AGENT_MESSAGES.invalid);
  if (!session.running) throw new PortalError('session_ended', AGENT_MESSAGES.sessionEnded);
  return {
    id: session.id,
    keyId: session.key_id,
    itemId: session.item_id,
    operationId: session.operation_id,
    startedAt: session.started_at,
    heartbeatDue: session.heartbeat_due,
  };
}

type Frame = { id: string; data: Uint8Array };

export const malformedUpload = (why: string) => new PortalError('invalid', `The upload is malformed: ${why}.`);

/** The frames of an objects upload, all well-formed, or a refusal naming what is wrong: then nothing is stored. */
export function parseFrames(body: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < body.length) {
    const frame = readFrame(body, offset);
    if (!frame) throw malformedUpload('a frame is cut short');
    const { id, length, data } = frame;
    if (length <= SEAL_OVERHEAD || length > MAX_SEALED_SIZE) {
      throw malformedUpload(`object ${id} has an impossible length (${length} bytes)`);
    }
    if (data.length < length) throw malformedUpload(`object ${id} is shorter than its stated length`);
    frames.push({ id, data });
    offset = frame.next;
  }
  if (frames.length === 0) throw malformedUpload('it holds no object');
  return frames;
}

/**
 * A store that has no room left (ENOSPC or a quota on a folder, 507 or its code from an S3-protocol server), named as
 * such to the agent, on JOBS (the agent's reason) and in the portal's log; undefined for any other failure.
 */
export function storageFull(err: unknown): PortalError | undefined {
  const e = err as { code?: string; Code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
  const full =
    e?.code === 'ENOSPC' ||
    e?.code === 'EDQUOT' ||
    e?.$metadata?.httpStatusCode === 507 ||
    ['XMinioStorageFull', 'InsufficientStorage'].includes(e?.Code ?? e?.name ?? '');
  if (!full) return undefined;
  console.error(`The backup store is full: ${(err as Error).message}`);
  return new PortalError('storage_full', AGENT_MESSAGES.storageFull);
}

/** The S3 client's errors of a store that is overloaded or away, as its server or the SDK name them. */
const STORE_BUSY = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ThrottlingException',
  'Throttling',
]);
/** A connection to a network store that was refused, reset, broke or went silent. */
const STORE_UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A store that is overloaded or away for a while (an S3 bucket answering 503 SlowDown or 5xx after the S3 client's own
 * tries, or not answering): `unavailable`, which the agent answers by waiting and sending the batch again, named as
 * such in the portal's log. undefined for any other failure (a folder store's I/O error stays a fault).
 */
export function storeUnavailable(err: unknown, store: BlobStore): PortalError | undefined {
  const e = err as { code?: string; Code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const busy =
    (status !== undefined && status >= 500 && status !== 501) ||
    STORE_BUSY.has(e?.Code ?? e?.name ?? '') ||
    STORE_UNREACHABLE.has(e?.code ?? '');
  if (!busy) return undefined;
  const what = `${e?.Code ?? e?.name ?? e?.code ?? 'Error'}${status ? ` (HTTP ${status})` : ''}`;
  console.error(`The backup store ${store.description} is unavailable: ${what}: ${(err as Error).message}`);
  return new PortalError(
    'unavailable',
    `The portal's backup store is not answering at the moment (${what}): try again in a few minutes.`,
  );
}

/**
 * Stores a batch of sealed objects: the ones the vault lacks are written as one pack, whole (atomically) and durable,
 * before their index rows, so the index never names an object the store lacks and nothing is acknowledged before it
 * is on disk. A killed portal leaves at most a pack without rows, invisible to backups and swept by garbage collection.
 */
export async function storeObjectBatch(
  pool: pg.Pool,
  store: BlobStore,
  session: BackupSession,
  body: Uint8Array,
): Promise<ObjectsResponse> {
  const frames = parseFrames(body);
  const unique = [...new Map(frames.map((f) => [f.id, f])).values()];
  const { rows: known } = await pool.query<{ id: string }>(
    'select id from backup_objects where key_id = $1 and id = any($2::text[])',
    [session.keyId, unique.map((f) => f.id)],
  );
  const skip = new Set(known.map((r) => r.id));
  const fresh = unique.filter((f) => !skip.has(f.id));
  if (fresh.length > 0) {
    // One pack per batch (lib/backups/packs.ts), written whole and synced before its rows name it.
    const packId = randomUUID();
    const pack = buildPack(body, fresh);
    await store.put(packBlobKey(session.keyId, packId), pack.bytes).catch((err: unknown) => {
      throw storageFull(err) ?? storeUnavailable(err, store) ?? err;
    });
    // The pack's row (its size and SHA-256, and whether its vault's storage is Geo-Redundant, so the replication
    // queue copies it) and its objects' rows, in one statement.
    await pool.query(
      `with pack as (${INSERT_PACK})
       insert into backup_objects (key_id, id, size, pack_id, pack_offset)
       select $1, u.id, u.size, $4, u.pack_offset from unnest($2::text[], $3::int[], $5::int[]) as u(id, size, pack_offset)
       on conflict do nothing`,
      [
        session.keyId,
        fresh.map((f) => f.id),
        fresh.map((f) => f.data.length),
        packId,
        pack.offsets,
        pack.bytes.length,
        createHash('sha256').update(pack.bytes).digest('hex'),
      ],
    );
  }
  await keepAlive(pool, session);
  return { stored: fresh.length, bytes: fresh.reduce((sum, f) => sum + f.data.length, 0) };
}

/**
 * A stored pack's row (lib/replication): $1 the key, $4 the pack, $6 its size, $7 its SHA-256 in hex. A pack of a
 * Geo-Redundant vault is due for copying to the secondary store at once.
 */
const INSERT_PACK = `insert into backup_packs (key_id, pack_id, vault_id, size, sha256, replicate)
  select k.id, $4, k.vault_id, $6, $7, v.storage_replication = 'GeoRedundant'
  from backup_keys k join vaults v on v.id = k.vault_id where k.id = $1`;

/** An object id in an agent's request. */
export const objectIdSchema = z.string().regex(OBJECT_ID_PATTERN, 'must be 64 lowercase hex digits');

const missingSchema = z.object({ ids: z.array(objectIdSchema).max(MAX_IDS_PER_CALL) });

/** Which of the ids the key's namespace lacks: the agent sends only those. */
export async function findMissingObjects(
  pool: pg.Pool,
  session: BackupSession,
  body: unknown,
): Promise<MissingResponse> {
  const { ids } = parseAgentBody(missingSchema, body, 'list of object ids');
  await keepAlive(pool, session);
  if (ids.length === 0) return { missing: [] };
  return { missing: await idsNotStored(pool, session.keyId, ids) };
}

/** The ids, of these, that the key's object index lacks. */
export async function idsNotStored(db: pg.Pool | pg.PoolClient, keyId: string, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select u.id from unnest($2::text[]) as u(id)
     where not exists (select 1 from backup_objects o where o.key_id = $1 and o.id = u.id)`,
    [keyId, ids],
  );
  return rows.map((r) => r.id);
}

/**
 * Asking and uploading keep the session alive: its heartbeat is written when due, at most every few seconds (a commit
 * per call otherwise, hundreds per GiB).
 */
async function keepAlive(pool: pg.Pool, session: BackupSession): Promise<void> {
  if (session.heartbeatDue === false) return;
  await pool.query('update backup_sessions set heartbeat_at = portal_now() where id = $1', [session.id]);
}
