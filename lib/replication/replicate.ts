import 'server-only';
import { createHash } from 'node:crypto';
import { packBlobKey } from '@/lib/backups/packs';
import type { BlobStore } from '@/lib/blob-store';
import { startPolling } from '@/lib/queues/polling';
import type { Services } from '@/lib/services';

/**
 * Replication to the secondary store (BACKUP_STORE_SECONDARY). The database is the durable queue: a Geo-Redundant
 * vault's pack is due for copying from the moment its row is written (backup_packs.replicate, in the statement that
 * records the pack: lib/backups/object-batches.ts and purge.ts), and a deleted pack's secondary copy is due for
 * deletion from the moment its row goes (pack_deletions, lib/backups/purge.ts's forgetPacks). Workers claim due rows
 * with `for update skip locked` and a lease (a killed worker's rows are due again when the lease runs out), copy or
 * delete, and record the outcome; a failure is retried with backoff until the store answers, never given up.
 */

/** A claimed copy or deletion whose worker died is due again after this. */
export const LEASE_SECONDS = 120;
/** Retries back off from 2 s, doubling, up to 5 minutes between tries. */
const FIRST_RETRY_SECONDS = 2;
const MAX_RETRY_SECONDS = 300;
/** Packs copied at once by one worker (each up to 32 MiB in memory). */
const CLAIM_BATCH = 8;

/** Seconds before the next try after `attempts` failed ones. */
export function replicationRetrySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

type ClaimedCopy = { key_id: string; pack_id: string; sha256: string; attempts: number };

/**
 * Copies due packs to the secondary store: claims up to CLAIM_BATCH, copies them at once, records each. A copy is of
 * the primary's bytes only when they are whole (their SHA-256 is the recorded one): damage is never replicated. A
 * pack whose row went while it was copied (garbage collection) has its copy queued for deletion. Answers how many
 * were claimed.
 */
export async function replicateDue(svc: Services, secondary: BlobStore): Promise<number> {
  const { rows } = await svc.pool.query<ClaimedCopy>(
    `update backup_packs p
        set replication_attempts = p.replication_attempts + 1,
            replication_due_at = portal_now() + make_interval(secs => $2)
      where (p.key_id, p.pack_id) in (
        select key_id, pack_id from backup_packs
         where replicate and replicated_at is null and replication_due_at <= portal_now()
         order by replication_due_at limit $1 for update skip locked)
      returning p.key_id, p.pack_id, p.sha256, p.replication_attempts as attempts`,
    [CLAIM_BATCH, LEASE_SECONDS],
  );
  await Promise.all(rows.map((row) => copyOne(svc, secondary, row)));
  return rows.length;
}

async function copyOne(svc: Services, secondary: BlobStore, pack: ClaimedCopy): Promise<void> {
  const key = packBlobKey(pack.key_id, pack.pack_id);
  try {
    const bytes = await svc.store.get(key);
    if (!bytes) throw new Error('the primary store lacks it (VERIFY repairs it from a whole copy, if any)');
    if (sha256Hex(bytes) !== pack.sha256) {
      throw new Error('its copy in the primary store is damaged (VERIFY repairs it from a whole copy, if any)');
    }
    await secondary.put(key, bytes);
  } catch (err) {
    await svc.pool.query(
      `update backup_packs set replication_error = $3, replication_due_at = portal_now() + make_interval(secs => $4)
        where key_id = $1 and pack_id = $2 and replicated_at is null`,
      [pack.key_id, pack.pack_id, (err as Error).message || String(err), replicationRetrySeconds(pack.attempts)],
    );
    return;
  }
  // Copied; a pack that garbage collection removed meanwhile has its copy deleted in turn.
  await svc.pool.query(
    `with done as (
       update backup_packs set replicated_at = portal_now(), replication_due_at = portal_now(), replication_error = null
        where key_id = $1 and pack_id = $2 returning 1)
     insert into pack_deletions (key_id, pack_id)
     select $1, $2 where not exists (select 1 from done)
     on conflict (key_id, pack_id) do nothing`,
    [pack.key_id, pack.pack_id],
  );
}

type ClaimedDeletion = { key_id: string; pack_id: string; attempts: number };

/** Deletes due packs' copies from the secondary store, as replicateDue copies. Answers how many were claimed. */
export async function deleteDue(svc: Services, secondary: BlobStore): Promise<number> {
  const { rows } = await svc.pool.query<ClaimedDeletion>(
    `update pack_deletions d
        set attempts = d.attempts + 1, due_at = portal_now() + make_interval(secs => $2)
      where (d.key_id, d.pack_id) in (
        select key_id, pack_id from pack_deletions where due_at <= portal_now()
         order by due_at limit $1 for update skip locked)
      returning d.key_id, d.pack_id, d.attempts`,
    [CLAIM_BATCH * 8, LEASE_SECONDS],
  );
  if (rows.length === 0) return 0;
  try {
    await secondary.delete(rows.map((r) => packBlobKey(r.key_id, r.pack_id)));
    await svc.pool.query(
      `delete from pack_deletions d using unnest($1::uuid[], $2::uuid[]) as u(key_id, pack_id)
        where d.key_id = u.key_id and d.pack_id = u.pack_id`,
      [rows.map((r) => r.key_id), rows.map((r) => r.pack_id)],
    );
  } catch (err) {
    await svc.pool.query(
      `update pack_deletions d set last_error = $3, due_at = portal_now() + make_interval(secs => $4)
        from unnest($1::uuid[], $2::uuid[]) as u(key_id, pack_id)
        where d.key_id = u.key_id and d.pack_id = u.pack_id`,
      [
        rows.map((r) => r.key_id),
        rows.map((r) => r.pack_id),
        (err as Error).message || String(err),
        replicationRetrySeconds(Math.min(...rows.map((r) => r.attempts))),
      ],
    );
  }
  return rows.length;
}

/**
 * The replication worker: copies and deletes what is due every `pollMs` (each claim one indexed probe when nothing
 * is), while the portal has a secondary store (read at each tick: tests swap it). Answers a stop function.
 */
export function startReplication(svc: Services, options: { pollMs?: number } = {}) {
  return startPolling('replication', options.pollMs ?? 1000, async (stopped) => {
    const secondary = svc.secondaryStore;
    if (!secondary) return;
    // A full batch: more may be due at once.
    while (!stopped() && (await replicateDue(svc, secondary)) === CLAIM_BATCH) {}
    while (!stopped() && (await deleteDue(svc, secondary)) === CLAIM_BATCH * 8) {}
  });
}
