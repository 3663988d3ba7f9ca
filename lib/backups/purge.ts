import 'server-only';
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { isUuid } from '@/lib/http/input';
import { type BackupDataJob, DEFAULT_GRACE_SECONDS, QUEUES } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { keyLock } from './locks';
import { idsNotStored } from './object-batches';
import { buildPack, type PackFrame, packBlobKey, packIdOf } from './packs';
import { keyPrefix, objectBlobKey } from './store';

/**
 * A blob with no index row is swept only once it is this old, whatever the grace: an upload that reached the portal
 * just before its session ended (a cancel, a stopped protection) writes its blobs first and their rows after, and
 * the rows must not arrive to name blobs swept in between.
 */
export const ORPHAN_MIN_AGE_SECONDS = 3600;

export type CollectResult = { busy: boolean; objects: number; bytes: number; orphans: number };

/**
 * Garbage collection of one key's namespace. It holds the key's advisory lock exclusively, which a backup of the key
 * takes shared to start, and runs only while no backup of the key is running: so no backup can have been told
 * "already stored" about an object this removes, and none can upload one while it removes it. Index rows go first
 * (the foreign keys of recovery points refuse to let a needed one go), then their blobs; blobs that have no row and
 * are older than the grace period (a killed portal's half-finished upload) go too.
 */
export async function collectGarbage(
  svc: Services,
  keyId: string,
  graceSeconds = DEFAULT_GRACE_SECONDS,
  now = svc.clock.now(),
): Promise<CollectResult> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  const client = await svc.pool.connect();
  try {
    const { rows: lock } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [
      keyLock(keyId),
    ]);
    if (!lock[0]?.ok) return { busy: true, objects: 0, bytes: 0, orphans: 0 };
    try {
      const { rows: running } = await client.query('select 1 from backup_sessions where key_id = $1 and running', [
        keyId,
      ]);
      if (running.length > 0) return { busy: true, objects: 0, bytes: 0, orphans: 0 };
      const { rows: doomed } = await client.query<{ id: string; size: number; pack_id: string | null }>(
        `delete from backup_objects o
         where o.key_id = $1 and o.created_at < $2
           and not exists (select 1 from recovery_point_objects r where r.key_id = o.key_id and r.object_id = o.id)
         returning o.id, o.size, o.pack_id`,
        [keyId, cutoff],
      );
      await svc.store.delete(doomed.filter((o) => o.pack_id === null).map((o) => objectBlobKey(keyId, o.id)));
      await reclaimPacks(svc, client, keyId, [...new Set(doomed.flatMap((o) => (o.pack_id ? [o.pack_id] : [])))]);
      // Blobs carry the store's own (real) times: the portal's cutoff moved back by the clock's offset.
      const orphanCutoff = new Date(
        Math.min(cutoff.getTime(), now.getTime() - ORPHAN_MIN_AGE_SECONDS * 1000) - svc.clock.offsetMs(),
      );
      // A folder store's writes killed before their rename (a portal killed mid-upload) leave temporary files, up to a
      // batch each: swept as the orphans are, once as old.
      const temporary =
        (await svc.store.sweepTemporaryFiles?.(Date.now() - orphanCutoff.getTime(), keyPrefix(keyId))) ?? 0;
      const orphans = (await sweepOrphans(svc, client, keyId, orphanCutoff)) + temporary;
      return {
        busy: false,
        objects: doomed.length,
        bytes: doomed.reduce((sum, o) => sum + o.size, 0),
        orphans,
      };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [keyLock(keyId)]);
    }
  } finally {
    client.release();
  }
}

/**
 * The space of the packs that lost objects: a pack none of whose objects is left is deleted; one that still holds
 * some is rewritten as a new pack of just those (their rows moved to it in one statement), then deleted. So the store
 * holds only what the index names, as it did with one blob per object. Readers that looked up an object's place just
 * before it moved read its row again (lib/restore).
 */
async function reclaimPacks(svc: Services, client: pg.PoolClient, keyId: string, packIds: string[]): Promise<void> {
  for (const packId of packIds) {
    const { rows: live } = await client.query<{ id: string; size: number; pack_offset: number }>(
      'select id, size, pack_offset from backup_objects where key_id = $1 and pack_id = $2 order by pack_offset',
      [keyId, packId],
    );
    if (live.length > 0) {
      // The live objects' bytes, from a whole copy of the pack (its SHA-256 checked against its row, so damage is
      // never rewritten into a pack with a fresh hash): the primary's, or the secondary's. Without a whole copy the
      // pack stays as it is, for verify to find.
      const whole = await wholePack(svc, client, keyId, packId);
      if (!whole) continue;
      const frames: PackFrame[] = live.map((row) => ({
        id: row.id,
        data: whole.subarray(row.pack_offset, row.pack_offset + row.size),
      }));
      if (frames.some((f, i) => f.data.length !== live[i]!.size)) {
        throw new Error(`The blob store holds a short pack ${packId} of key ${keyId}.`);
      }
      const pack = buildPack(null, frames);
      const newPackId = randomUUID();
      await svc.store.put(packBlobKey(keyId, newPackId), pack.bytes);
      // The objects' rows move to the new pack, whose own row (size, SHA-256, due for the secondary store when the
      // vault is Geo-Redundant) comes with them.
      await client.query(
        `with moved as (
           update backup_objects o set pack_id = $3, pack_offset = u.pack_offset
           from unnest($2::text[], $4::int[]) as u(id, pack_offset)
           where o.key_id = $1 and o.id = u.id)
         insert into backup_packs (key_id, pack_id, vault_id, size, sha256, replicate)
         select k.id, $3, k.vault_id, $5, $6, v.storage_replication = 'GeoRedundant'
         from backup_keys k join vaults v on v.id = k.vault_id where k.id = $1`,
        [
          keyId,
          live.map((r) => r.id),
          newPackId,
          pack.offsets,
          pack.bytes.length,
          createHash('sha256').update(pack.bytes).digest('hex'),
        ],
      );
    }
    await forgetPacks(client, keyId, [packId]);
    await svc.store.delete([packBlobKey(keyId, packId)]);
  }
}

/**
 * A pack's bytes as stored, checked against the SHA-256 its row records: the primary store's copy, or else the
 * secondary's; null when neither is whole (or there is none). A pack stored before its row existed is taken as read.
 */
async function wholePack(
  svc: Services,
  client: pg.PoolClient,
  keyId: string,
  packId: string,
): Promise<Uint8Array | null> {
  const { rows } = await client.query<{ sha256: string }>(
    'select sha256 from backup_packs where key_id = $1 and pack_id = $2',
    [keyId, packId],
  );
  const expected = rows[0]?.sha256;
  for (const store of [svc.store, svc.secondaryStore]) {
    if (!store) continue;
    const bytes = await store.get(packBlobKey(keyId, packId)).catch(() => null);
    if (bytes && (!expected || createHash('sha256').update(bytes).digest('hex') === expected)) return bytes;
  }
  return null;
}

/**
 * Removes the rows of packs that are about to be deleted from the primary store. The secondary store's copies (of a
 * Geo-Redundant vault's packs) are queued for deletion by the rows' trigger (backup_packs_forget, migration 0019), and
 * lib/replication deletes them, retrying until the store answers.
 */
export async function forgetPacks(client: pg.PoolClient | pg.Pool, keyId: string, packIds: string[]): Promise<void> {
  if (packIds.length === 0) return;
  await client.query('delete from backup_packs where key_id = $1 and pack_id = any($2::uuid[])', [keyId, packIds]);
}

/** Blobs older than the cutoff that no row names: an object's own blob without its row, or a pack no row is in. */
async function sweepOrphans(svc: Services, client: pg.PoolClient, keyId: string, cutoff: Date): Promise<number> {
  const objects: string[] = [];
  const packs: string[] = [];
  for await (const blob of svc.store.list(keyPrefix(keyId))) {
    if (blob.modifiedAt >= cutoff) continue;
    const packId = packIdOf(keyId, blob.key);
    if (packId !== null) {
      if (isUuid(packId)) packs.push(packId);
    } else objects.push(blob.key.slice(blob.key.lastIndexOf('/') + 1));
  }
  if (objects.length + packs.length === 0) return 0;
  const unindexed = await idsNotStored(client, keyId, objects);
  const { rows: emptyPacks } = await client.query<{ id: string }>(
    `select u.id from unnest($2::uuid[]) as u(id)
     where not exists (select 1 from backup_objects o where o.key_id = $1 and o.pack_id = u.id)`,
    [keyId, packs],
  );
  await forgetPacks(
    client,
    keyId,
    emptyPacks.map((r) => r.id),
  );
  await svc.store.delete([
    ...unindexed.map((id) => objectBlobKey(keyId, id)),
    ...emptyPacks.map((r) => packBlobKey(keyId, r.id)),
  ]);
  return unindexed.length + emptyPacks.length;
}

/** Removes a deleted key's namespace; refuses while the key still exists (its rows must go first). */
export async function purgeKey(svc: Services, keyId: string): Promise<number> {
  const { rows } = await svc.pool.query('select 1 from backup_keys where id = $1', [keyId]);
  if (rows.length > 0) return 0;
  const count = await svc.store.deletePrefix(keyPrefix(keyId));
  // The key's packs' copies in the secondary store were queued for deletion one by one as their rows went with the
  // key (backup_packs_forget); the whole namespace goes at once when the store answers, and the queue is then moot.
  // When it does not answer, the queue deletes them when it does.
  if (svc.secondaryStore) {
    try {
      await svc.secondaryStore.deletePrefix(keyPrefix(keyId));
      // Only what was due: a deletion waiting for a copy in flight (due when its lease runs out) stays for it.
      await svc.pool.query('delete from pack_deletions where key_id = $1 and due_at <= portal_now()', [keyId]);
    } catch (err) {
      console.error(`The secondary store did not delete key ${keyId}'s copies now (queued): ${(err as Error).message}`);
    }
  }
  return count;
}

/** The backup-data queue's handler: a busy collection is tried again a minute later. */
export async function runBackupDataJob(svc: Services, job: BackupDataJob): Promise<boolean> {
  if (job.action === 'purge-key') {
    await purgeKey(svc, job.keyId);
    return true;
  }
  const result = await collectGarbage(svc, job.keyId, job.graceSeconds ?? DEFAULT_GRACE_SECONDS);
  if (result.busy) await svc.boss.send(QUEUES.backupData, job, { startAfter: 60 });
  return !result.busy;
}
