import 'server-only';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import type { PortalUser } from '@/lib/auth/users';
import { packBlobKey } from '@/lib/backups/packs';
import { objectBlobKey } from '@/lib/backups/store';
import type { BlobStore } from '@/lib/blob-store';
import { type ActionResult, actionOf, PortalError } from '@/lib/errors';
import { formatBytes } from '@/lib/format';
import { startItemJob } from '@/lib/operations/record';
import { QUEUES, sendInTransaction } from '@/lib/queues';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { sha256Hex } from './replicate';

/**
 * Verification of stored backup data: every pack a recovery point needs (of one item: VERIFY on PROTECTED ITEMS; of a
 * whole vault: weekly) is read from each store that should hold it and hashed; its SHA-256 and size must be the ones
 * recorded when it was stored. A damaged or missing primary copy is repaired from a whole secondary copy; a damaged or
 * missing secondary copy is queued to be copied again from the whole primary one; a pack no store holds whole makes
 * the points that need it Damaged (PROTECTED ITEMS) and raises `Backup data damaged` for their items. A VerifyStorage
 * job on JOBS tells what was checked and done.
 */

/** Packs read at once (each from both stores at once): reading and hashing overlap on two cores. */
const VERIFY_CONCURRENCY = 4;
/** How often a vault's packs are verified by themselves. */
export const WEEKLY_VERIFY_DAYS = 7;

/** A blob a point needs: a pack (with its recorded size and SHA-256 when it has a row) or an object's own blob. */
type Unit = {
  key_id: string;
  pack_id: string | null;
  object_id: string | null;
  size: number | null;
  sha256: string | null;
  /** The secondary store should hold a copy: the pack was copied there. */
  replicated: boolean;
};

type CopyState = 'whole' | 'missing' | 'damaged';

const unitKey = (u: Unit) => (u.pack_id ? packBlobKey(u.key_id, u.pack_id) : objectBlobKey(u.key_id, u.object_id!));

/** Reads a copy to its end, hashing as it streams; whole when it matches what was recorded (or is present, unrecorded). */
async function checkCopy(store: BlobStore, unit: Unit): Promise<CopyState> {
  const stream = await store.stream(unitKey(unit));
  if (!stream) return 'missing';
  const hash = createHash('sha256');
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  if (unit.sha256 === null) return 'whole';
  return size === unit.size && hash.digest('hex') === unit.sha256 ? 'whole' : 'damaged';
}

/** A copy from `from` that is whole (checked again as read), or null. */
async function wholeBytes(from: BlobStore, unit: Unit): Promise<Uint8Array | null> {
  const bytes = await from.get(unitKey(unit));
  if (!bytes) return null;
  if (unit.sha256 !== null && (bytes.length !== unit.size || sha256Hex(bytes) !== unit.sha256)) return null;
  return bytes;
}

export type VerifyOutcome = {
  packs: number;
  bytes: number;
  repaired: number;
  requeued: number;
  damaged: Unit[];
  /** A store that failed to answer (not damage: the verification could not finish). */
  failures: string[];
};

/** Checks the units and repairs what it can; the caller records the outcome. */
async function checkUnits(
  svc: Services,
  units: Unit[],
  progress: (done: number) => Promise<void> = async () => {},
): Promise<VerifyOutcome> {
  const outcome: VerifyOutcome = { packs: units.length, bytes: 0, repaired: 0, requeued: 0, damaged: [], failures: [] };
  const secondary = svc.secondaryStore;
  const one = async (unit: Unit) => {
    const [primary, second] = await Promise.allSettled([
      checkCopy(svc.store, unit),
      // The secondary is read when it should hold a copy; otherwise only if the primary's is not whole (below).
      secondary && unit.replicated ? checkCopy(secondary, unit) : Promise.resolve(null),
    ]);
    outcome.bytes += unit.size ?? 0;
    if (primary.status === 'rejected') {
      outcome.failures.push(`${svc.store.description}: ${(primary.reason as Error).message}`);
      return;
    }
    if (second.status === 'rejected') {
      outcome.failures.push(`${secondary?.description}: ${(second.reason as Error).message}`);
    }
    if (primary.value === 'whole') {
      if (second.status === 'fulfilled' && (second.value === 'missing' || second.value === 'damaged')) {
        // The secondary's copy is lost: copied again from the whole primary by the replication queue.
        await svc.pool.query(
          `update backup_packs set replicated_at = null, replication_due_at = portal_now(), replication_attempts = 0,
             replication_error = $3
           where key_id = $1 and pack_id = $2`,
          [unit.key_id, unit.pack_id, `Verify found the secondary copy ${second.value}.`],
        );
        outcome.requeued += 1;
      }
      return;
    }
    // The primary's copy is missing or damaged: repaired from a whole secondary copy, if there is one. A secondary that
    // does not answer tells nothing: the verification could not finish, which is not damage.
    let repaired: Uint8Array | null = null;
    if (secondary) {
      try {
        repaired = await wholeBytes(secondary, unit);
      } catch (err) {
        outcome.failures.push(`${secondary.description}: ${(err as Error).message}`);
        return;
      }
    }
    if (repaired) {
      try {
        await svc.store.put(unitKey(unit), repaired);
        outcome.repaired += 1;
        return;
      } catch (err) {
        outcome.failures.push(`${svc.store.description}: ${(err as Error).message}`);
        return;
      }
    }
    outcome.damaged.push(unit);
  };
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.ceil(units.length / 20));
  await Promise.all(
    Array.from({ length: Math.min(VERIFY_CONCURRENCY, units.length) }, async () => {
      while (next < units.length) {
        await one(units[next++]!);
        done += 1;
        if (done % step === 0 && done < units.length) await progress(done / units.length);
      }
    }),
  );
  return outcome;
}

/** The blobs the scope's recovery points need, once each. */
async function unitsOf(client: pg.Pool, vaultId: string, itemId: string | null): Promise<Unit[]> {
  const { rows } = await client.query<Unit>(
    `select distinct o.key_id, o.pack_id, case when o.pack_id is null then o.id end as object_id,
            bp.size, bp.sha256, coalesce(bp.replicate and bp.replicated_at is not null, false) as replicated
       from recovery_points p
       join recovery_point_objects r on r.point_id = p.id
       join backup_objects o on o.key_id = r.key_id and o.id = r.object_id
       left join backup_packs bp on bp.key_id = o.key_id and bp.pack_id = o.pack_id
      where p.vault_id = $1 and ($2::uuid is null or p.item_id = $2)`,
    [vaultId, itemId],
  );
  return rows;
}

type VerifyJob = {
  id: string;
  vault_id: string;
  vault_name: string;
  item_id: string | null;
  item_name: string | null;
  server_name: string | null;
};

function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Runs a VerifyStorage job (the verify-storage queue's handler): checks the scope's packs, repairs what it can, marks
 * the points no store can serve whole Damaged (and clears the mark of points found whole again), raises `Backup data
 * damaged` for their items, and ends the job. A job already ended changes nothing.
 */
export async function runVerifyStorage(svc: Services, operationId: string): Promise<VerifyOutcome | null> {
  const { rows } = await svc.pool.query<VerifyJob>(
    `select id, vault_id, vault_name, item_id, item_name, server_name from operations
      where id = $1 and kind = 'VerifyStorage' and status = 'InProgress' and vault_id is not null`,
    [operationId],
  );
  const job = rows[0];
  if (!job) return null;
  const what = job.item_id ? `'${job.item_name}' on '${job.server_name}'` : `the vault '${job.vault_name}'`;
  let outcome: VerifyOutcome;
  try {
    // JOBS shows how far it is, every twentieth of the packs.
    const progress = async (share: number) => {
      await svc.pool.query(
        `update operations set progress = $2, updated_at = portal_now() where id = $1 and status = 'InProgress'`,
        [job.id, Math.min(99, Math.floor(share * 100))],
      );
    };
    outcome = await checkUnits(svc, await unitsOf(svc.pool, job.vault_id, job.item_id), progress);
  } catch (err) {
    console.error(`verification ${job.id} failed:`, err);
    await endJob(svc, job.id, 'Failed', `The verification of ${what} failed: ${(err as Error).message}`);
    return null;
  }
  const damaged = outcome.damaged;
  await withTransaction(svc.pool, async (_tx, client) => {
    // Points that need a damaged blob are Damaged; the scope's others, all of whose blobs were found whole, are not
    // any more. With failures, only new damage is recorded.
    const keys = damaged.map((u) => u.key_id);
    const packs = damaged.map((u) => u.pack_id);
    const objects = damaged.map((u) => u.object_id);
    const { rows: points } = await client.query<{ id: string; item_id: string }>(
      `with bad as (
         select distinct r.point_id from unnest($3::uuid[], $4::uuid[], $5::text[]) as u(key_id, pack_id, object_id)
         join backup_objects o on o.key_id = u.key_id
           and ((u.pack_id is not null and o.pack_id = u.pack_id) or (u.pack_id is null and o.id = u.object_id))
         join recovery_point_objects r on r.key_id = o.key_id and r.object_id = o.id)
       update recovery_points p set damaged_at = coalesce(p.damaged_at, portal_now())
         from bad where p.id = bad.point_id and p.vault_id = $1 and ($2::uuid is null or p.item_id = $2)
       returning p.id, p.item_id`,
      [job.vault_id, job.item_id, keys, packs, objects],
    );
    if (outcome.failures.length === 0) {
      await client.query(
        `update recovery_points set damaged_at = null
          where vault_id = $1 and ($2::uuid is null or item_id = $2) and damaged_at is not null
            and not (id = any($3::uuid[]))`,
        [job.vault_id, job.item_id, points.map((p) => p.id)],
      );
    }
    const items = [...new Set(points.map((p) => p.item_id))];
    const message = endMessage(what, outcome, points.length);
    for (const itemId of items) {
      const count = points.filter((p) => p.item_id === itemId).length;
      await client.query(
        `select raise_alert(i.vault_id, i.id, i.path, s.id, s.name, 'BackupDataDamaged', $2, $3)
           from protected_items i join registered_servers s on s.id = i.server_id where i.id = $1`,
        [
          itemId,
          `${plural(count, 'recovery point')} of this item cannot be restored whole: ${plural(damaged.length, 'pack')} of backup data ${damaged.length === 1 ? 'is' : 'are'} missing or damaged in every store.`,
          job.id,
        ],
      );
    }
    const failed = damaged.length > 0 || outcome.failures.length > 0;
    await endJob(svc, job.id, failed ? 'Failed' : 'Succeeded', message, client);
  });
  return outcome;
}

function endMessage(what: string, outcome: VerifyOutcome, damagedPoints: number): string {
  const checked = `${plural(outcome.packs, 'pack')} (${formatBytes(outcome.bytes)})`;
  const repairs = [
    outcome.repaired > 0 ? `${plural(outcome.repaired, 'pack')} repaired from the secondary store` : '',
    outcome.requeued > 0 ? `${plural(outcome.requeued, 'pack')} queued to be copied to the secondary store again` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const done = repairs ? ` (${repairs})` : '';
  if (outcome.damaged.length > 0) {
    return `The backup data of ${what} is damaged: ${plural(outcome.damaged.length, 'pack')} of ${checked} ${outcome.damaged.length === 1 ? 'is' : 'are'} missing or damaged in every store, needed by ${plural(damagedPoints, 'recovery point')}${done}.`;
  }
  if (outcome.failures.length > 0) {
    return `The verification of ${what} could not read every pack: ${outcome.failures[0]}${done}.`;
  }
  return `The backup data of ${what} was verified: ${checked}, each whole in every store that holds it${done}.`;
}

async function endJob(
  svc: Services,
  operationId: string,
  status: 'Succeeded' | 'Failed',
  message: string,
  client?: pg.PoolClient,
): Promise<void> {
  await (client ?? svc.pool).query(
    `update operations set status = $2, progress = 100, message = $3, ended_at = portal_now(), updated_at = portal_now()
      where id = $1 and status = 'InProgress'`,
    [operationId, status, message],
  );
}

const itemInput = z.object({ itemId: z.uuid() });
const itemNotFound = 'The protected item was not found.';

/**
 * VERIFY on PROTECTED ITEMS: a VerifyStorage job of the item's packs, queued (in the transaction that records the job)
 * for any worker. Contributors and Owners only.
 */
export const requestVerify = actionOf(async function requestVerify(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionResult<{ operationId: string }>> {
  const parsed = itemInput.safeParse(input);
  if (!parsed.success) return { ok: false, message: itemNotFound };
  const { rows } = await svc.pool.query<{
    id: string;
    path: string;
    vault_id: string;
    server_id: string;
    server_name: string;
  }>(
    `select i.id, i.path, i.vault_id, s.id as server_id, s.name as server_name
       from protected_items i join registered_servers s on s.id = i.server_id where i.id = $1`,
    [parsed.data.itemId],
  );
  const item = rows[0];
  if (!item) throw new PortalError('not_found', itemNotFound);
  const { vault } = await vaultAccessOrThrow(svc.db, user, item.vault_id, 'write', {
    states: ['Active'],
    notFound: itemNotFound,
  });
  const operationId = await withTransaction(svc.pool, async (_tx, client) => {
    const operationId = await startItemJob(client, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'VerifyStorage',
      message: `Verifying the backup data of '${item.path}' on '${item.server_name}' in the vault's stores...`,
      itemId: item.id,
      itemName: item.path,
      serverId: item.server_id,
      serverName: item.server_name,
    });
    await sendInTransaction(svc.boss, client, QUEUES.verifyStorage, { operationId });
    return operationId;
  });
  return {
    ok: true,
    data: { operationId },
    message: `A verification of the backup data of '${item.path}' was started: see JOBS.`,
  };
});

/**
 * The weekly verification (every worker's sweep, on the portal's clock): each Active vault whose turn has come gets a
 * VerifyStorage job of all its points, when it has any. The turn is claimed by moving it a week on, conditionally, so
 * two workers never start the same one. Answers the jobs started.
 */
export async function queueWeeklyVerifies(svc: Services): Promise<string[]> {
  return withTransaction(svc.pool, async (_tx, client) => {
    const { rows } = await client.query<{ id: string }>(
      `with due as (
         update vaults v set storage_verify_due_at = portal_now() + make_interval(days => $1)
          where v.storage_verify_due_at <= portal_now() and v.status = 'Active'
          returning v.id, v.name, v.subscription_id)
       insert into operations (user_id, subscription_id, vault_id, vault_name, kind, message)
       select null, due.subscription_id, due.id, due.name, 'VerifyStorage',
              'Verifying the backup data of the vault ''' || due.name || ''' in its stores (weekly)...'
         from due
        where exists (select 1 from protected_items i join recovery_points p on p.item_id = i.id where i.vault_id = due.id)
       returning id`,
      [WEEKLY_VERIFY_DAYS],
    );
    for (const row of rows) await sendInTransaction(svc.boss, client, QUEUES.verifyStorage, { operationId: row.id });
    return rows.map((r) => r.id);
  });
}
