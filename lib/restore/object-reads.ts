/**
 * A restore session's bulk path: authenticating its token and reading a batch of the point's sealed objects. Kept free
 * of 'server-only' and of Next, so that the portal's HTTP server (scripts/serve.ts, server/http/agent-data.ts) can answer
 * the reads itself; the route handler (app/api/agent/restores/[restoreId]/objects) calls the same code.
 */
import { timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { OBJECT_ID_PATTERN } from '@/lib/backup-format/objects';
import { hashToken, parseAgentBody } from '@/lib/backups/agent-input';
import { HEARTBEAT_EVERY_SECONDS } from '@/lib/backups/object-batches';
import { type ObjectPlace, readObjectInto, readObjectsInto } from '@/lib/backups/packs';
import type { BlobStore } from '@/lib/blob-store';
import type { ReusedBuffers } from '@/lib/buffers';
import { PortalError } from '@/lib/errors';
import { isUuid } from '@/lib/http/input';
import { writeFrameHeader } from '@/wire/frame';
import { AGENT_MESSAGES, MAX_BATCH_BYTES, MAX_IDS_PER_CALL, OBJECT_FRAME_HEADER } from '@/wire/protocol';

const READ_CONCURRENCY = 16;
const readSchema = z.object({ ids: z.array(z.string().regex(OBJECT_ID_PATTERN)).min(1).max(MAX_IDS_PER_CALL) });

export type RestoreSession = {
  id: string;
  pointId: string;
  keyId: string;
  operationId: string;
  /** The restore's heartbeat was last written more than HEARTBEAT_EVERY_SECONDS ago (see readObjectFrames). */
  heartbeatDue?: boolean;
};

/** The running restore a token stands for, or the refusal the agent stops on. */
export async function authenticateRestoreToken(
  pool: pg.Pool,
  restoreId: string,
  authorization: string | null | undefined,
): Promise<RestoreSession> {
  const match = authorization?.match(/^Bearer ([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/);
  if (!match || match[1] !== restoreId || !isUuid(restoreId)) {
    throw new PortalError('invalid_token', AGENT_MESSAGES.invalid);
  }
  const { rows } = await pool.query<{
    id: string;
    point_id: string;
    key_id: string;
    operation_id: string;
    token_hash: string | null;
    running: boolean;
    heartbeat_due: boolean;
  }>(
    `select r.id, r.point_id, p.key_id, r.operation_id, r.token_hash, r.running,
       r.heartbeat_at < portal_now() - make_interval(secs => $2) as heartbeat_due
     from restores r join recovery_points p on p.id = r.point_id where r.id = $1`,
    [restoreId, HEARTBEAT_EVERY_SECONDS],
  );
  const row = rows[0];
  const expected = row?.token_hash ? Buffer.from(row.token_hash, 'hex') : Buffer.alloc(32);
  if (!row?.token_hash || !timingSafeEqual(expected, hashToken(match[2]!))) {
    throw new PortalError('invalid_token', AGENT_MESSAGES.invalid);
  }
  if (!row.running) {
    throw new PortalError('session_ended', 'This restore is no longer running: the portal stopped hearing from it.');
  }
  return {
    id: row.id,
    pointId: row.point_id,
    keyId: row.key_id,
    operationId: row.operation_id,
    heartbeatDue: row.heartbeat_due,
  };
}

/** Where the point's objects among `ids` are stored; ids the point does not reference are absent. */
async function objectPlaces(pool: pg.Pool, pointId: string, ids: string[]): Promise<Map<string, ObjectPlace>> {
  const { rows } = await pool.query<{
    object_id: string;
    size: number;
    pack_id: string | null;
    pack_offset: number | null;
  }>(
    `select r.object_id, o.size, o.pack_id, o.pack_offset from recovery_point_objects r
     join backup_objects o on o.key_id = r.key_id and o.id = r.object_id
     where r.point_id = $1 and r.object_id = any($2::text[])`,
    [pointId, ids],
  );
  return new Map(rows.map((r) => [r.object_id, { size: r.size, packId: r.pack_id, packOffset: r.pack_offset }]));
}

/**
 * Sealed objects of the restore's point, as frames (id, length, bytes), as many of the asked ids as fit one batch:
 * the agent asks again for the rest. Only objects the point references are served.
 */
export async function readObjectFrames(
  pool: pg.Pool,
  store: BlobStore,
  restore: RestoreSession,
  body: unknown,
  buffers?: ReusedBuffers,
): Promise<Uint8Array<ArrayBuffer>> {
  const { ids } = parseAgentBody(readSchema, body, 'list of object ids');
  const unique = [...new Set(ids)];
  const places = await objectPlaces(pool, restore.pointId, unique);
  const sizes = new Map([...places].map(([id, place]) => [id, place.size]));
  const foreign = unique.find((id) => !sizes.has(id));
  if (foreign) throw new PortalError('no_such_object', `The recovery point holds no object ${foreign.slice(0, 16)}.`);
  const batch: string[] = [];
  let total = 0;
  for (const id of unique) {
    const size = OBJECT_FRAME_HEADER + sizes.get(id)!;
    if (batch.length > 0 && total + size > MAX_BATCH_BYTES) break;
    batch.push(id);
    total += size;
  }
  // Every byte is written below: no need to zero 32 MiB first. A caller that knows when the answer is sent gives
  // the buffer back for the next batch (see ReusedBuffers).
  const view = buffers ? buffers.take(total) : Buffer.allocUnsafeSlow(total);
  const frames = new Uint8Array(view.buffer, view.byteOffset, total);
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const id of batch) {
    offsets.set(id, offset);
    offset += OBJECT_FRAME_HEADER + sizes.get(id)!;
  }
  // Straight into their places in the answer, each pack opened once.
  const into = (id: string) => {
    const at = writeFrameHeader(frames, offsets.get(id)!, id, sizes.get(id)!);
    return frames.subarray(at, at + sizes.get(id)!);
  };
  const lost = await readObjectsInto(
    store,
    restore.keyId,
    batch.map((id) => ({ id, place: places.get(id)!, target: into(id) })),
    READ_CONCURRENCY,
  );
  // A garbage collection may have just moved an object to a new pack (repacking a pack others' objects left): then
  // its row says where, once read again.
  for (const id of lost) {
    const moved = (await objectPlaces(pool, restore.pointId, [id])).get(id);
    const found =
      moved !== undefined &&
      moved.size === sizes.get(id) &&
      (await readObjectInto(store, restore.keyId, id, moved, into(id)));
    // The point refers to data its store no longer holds: the point is damaged (`verify` names the object).
    if (!found)
      throw new PortalError('no_such_object', `The vault lost object ${id.slice(0, 16)} of the recovery point.`);
  }
  // Reading keeps the restore alive, written at most every few seconds: a write per read (hundreds per GiB) cost
  // the database a commit each, on the cores the agent and the portal share.
  if (restore.heartbeatDue !== false) {
    await pool.query('update restores set heartbeat_at = portal_now() where id = $1', [restore.id]);
  }
  return frames;
}
