import 'server-only';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '@/db/client';
import { OBJECT_ID_PATTERN } from '@/lib/backup-format/objects';
import { readObject } from '@/lib/backups/packs';
import { readingWithFallback } from '@/lib/blob-store';
import type { Services } from '@/lib/services';

/** A recovery point as the browser lists it: its time, and what it holds. */
export type PointSummary = { id: string; takenAt: string; files: number; bytes: number };

/** What the browser needs to open a point: the root listing's id and the passphrase-wrapped vault key. */
export type PointKey = { pointId: string; takenAt: string; rootId: string; keyId: string; wrappedKey: unknown };

export type RecoverableItem = { id: string; path: string; serverName: string; newest: PointSummary | null };

const uuid = z.uuid();

/** The item of this vault, with its newest point; null when the id names nothing here. */
export async function recoverableItem(db: Database, vaultId: string, itemId: string): Promise<RecoverableItem | null> {
  if (!uuid.safeParse(itemId).success) return null;
  const { rows } = await db.execute<{
    id: string;
    path: string;
    server_name: string;
    point_id: string | null;
    taken_at: string | null;
    files: number | null;
    bytes: string | null;
  }>(sql`
    select i.id, i.path, s.name as server_name, p.id as point_id, p.taken_at, p.files, p.bytes
    from protected_items i join registered_servers s on s.id = i.server_id
    left join lateral (select id, taken_at, files, bytes from recovery_points
      where item_id = i.id order by taken_at desc, id desc limit 1) p on true
    where i.id = ${itemId} and i.vault_id = ${vaultId}`);
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    path: row.path,
    serverName: row.server_name,
    newest: row.point_id
      ? {
          id: row.point_id,
          takenAt: new Date(row.taken_at!).toISOString(),
          files: row.files!,
          bytes: Number(row.bytes),
        }
      : null,
  };
}

/** A calendar month in the browser's time zone spans at most this long (31 days and a daylight-saving hour). */
const MAX_RANGE_MS = 32 * 24 * 3600 * 1000;

export const rangeSchema = z
  .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .refine(({ from, to }) => {
    const span = Date.parse(to) - Date.parse(from);
    return span > 0 && span <= MAX_RANGE_MS;
  }, 'a range of up to a month');

/**
 * The item's points taken in [from, to), newest first: one range scan of recovery_points_item_idx (item_id, taken_at),
 * so a month costs the same however many points the item has in other months.
 */
export async function pointsInRange(
  db: Database,
  vaultId: string,
  itemId: string,
  from: Date,
  to: Date,
): Promise<PointSummary[]> {
  if (!uuid.safeParse(itemId).success) return [];
  const { rows } = await db.execute<{ id: string; taken_at: string; files: number; bytes: string }>(sql`
    select id, taken_at, files, bytes from recovery_points
    where item_id = ${itemId} and vault_id = ${vaultId}
      and taken_at >= ${from.toISOString()} and taken_at < ${to.toISOString()}
    order by taken_at desc, id desc`);
  return rows.map((r) => ({
    id: r.id,
    takenAt: new Date(r.taken_at).toISOString(),
    files: r.files,
    bytes: Number(r.bytes),
  }));
}

export async function pointKey(
  db: Database,
  vaultId: string,
  itemId: string,
  pointId: string,
): Promise<PointKey | null> {
  if (!uuid.safeParse(itemId).success || !uuid.safeParse(pointId).success) return null;
  const { rows } = await db.execute<{
    id: string;
    taken_at: string;
    root_id: string;
    key_id: string;
    wrapped_key: unknown;
  }>(sql`
    select p.id, p.taken_at, p.root_id, p.key_id, k.wrapped_key
    from recovery_points p join backup_keys k on k.id = p.key_id
    where p.id = ${pointId} and p.item_id = ${itemId} and p.vault_id = ${vaultId}`);
  const row = rows[0];
  if (!row) return null;
  const takenAt = new Date(row.taken_at).toISOString();
  return { pointId: row.id, takenAt, rootId: row.root_id, keyId: row.key_id, wrappedKey: row.wrapped_key };
}

/**
 * One sealed object of a point, as stored: only objects the point references (its recovery_point_objects rows, by
 * primary key), so a reader of one vault cannot fetch another's by guessing ids. Null when it is not the point's.
 */
export async function pointObject(
  svc: Services,
  vaultId: string,
  itemId: string,
  pointId: string,
  objectId: string,
): Promise<Uint8Array | null> {
  if (!uuid.safeParse(itemId).success || !uuid.safeParse(pointId).success || !OBJECT_ID_PATTERN.test(objectId)) {
    return null;
  }
  const select = () =>
    svc.pool.query<{ key_id: string; size: number; pack_id: string | null; pack_offset: number | null }>(
      `select o.key_id, b.size, b.pack_id, b.pack_offset
       from recovery_point_objects o join recovery_points p on p.id = o.point_id
       join backup_objects b on b.key_id = o.key_id and b.id = o.object_id
       where o.point_id = $1 and o.object_id = $2 and p.item_id = $3 and p.vault_id = $4`,
      [pointId, objectId, itemId, vaultId],
    );
  // Read again once when missing: a garbage collection may have just moved it to a new pack (lib/backups/purge.ts).
  for (let attempt = 0; attempt < 2; attempt++) {
    const row = (await select()).rows[0];
    if (!row) return null;
    const place = { size: row.size, packId: row.pack_id, packOffset: row.pack_offset };
    const bytes = await readObject(readingWithFallback(svc.store, svc.secondaryStore), row.key_id, objectId, place);
    if (bytes) return bytes;
  }
  return null;
}
