import { mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { packIdOf } from '@/lib/backups/packs';
import { collectGarbage } from '@/lib/backups/purge';
import { failStaleBackups, HEARTBEAT_TIMEOUT_SECONDS } from '@/lib/backups/sessions';
import { keyPrefix } from '@/lib/backups/store';
import { FileBlobStore } from '@/lib/blob-store';
import { DEFAULT_GRACE_SECONDS } from '@/lib/queues';
import { failStaleRestores, RESTORE_HEARTBEAT_TIMEOUT_SECONDS } from '@/lib/restore/sessions';
import type { Services } from '@/lib/services';
import { type Machine, routeFetch, serveRoutesFrom } from '../backups';
import { restoreRoutes } from '../restore';
import { agentRun, differences } from './agents';

/** One scenario's figures, as the suite prints them. */
export type Figures = {
  scenario: string;
  /** How the fault was felt (when, how long, how often). */
  fault: string;
  backupsStarted: number;
  pointsCommitted: number;
  pointsRestored: number;
  jobsStuck: number;
  orphanPacks: number;
  neededPacksDeleted: number;
  /** Jobs the portal's sweep failed (their agent or portal went away): they end Failed with a reason, not stuck. */
  sweptJobs: number;
  /** Packs without index rows before garbage collection (a killed upload's, a lost race's), swept by it. */
  orphansBeforeGc: number;
  /** The folder store's unfinished writes (temporary files) before garbage collection, and after it. */
  temporaryBeforeGc: number;
  temporaryAfterGc: number;
  seconds: number;
};

/**
 * The sweep every worker runs (failStaleBackups, failStaleRestores), as it runs once the heartbeat timeout has passed
 * (the time it is given is moved past the timeout, rather than waiting 60 s), then the vault's backup and restore jobs
 * still In progress. (The vault's own creation job stays In progress in these tests: no worker provisions it.)
 */
export async function sweepAndCountStuck(svc: Services, vaultId: string): Promise<{ swept: number; stuck: number }> {
  const later = (seconds: number) => new Date(svc.clock.nowMs() + (seconds + 1) * 1000);
  const swept =
    (await failStaleBackups(svc, later(HEARTBEAT_TIMEOUT_SECONDS))) +
    (await failStaleRestores(svc, later(RESTORE_HEARTBEAT_TIMEOUT_SECONDS)));
  const { rows } = await svc.pool.query<{ n: number }>(
    `select count(*)::int as n from operations
     where vault_id = $1 and kind in ('Backup', 'Restore') and status = 'InProgress'`,
    [vaultId],
  );
  return { swept, stuck: rows[0]!.n };
}

/** The vault's jobs of a kind, oldest first. */
export async function jobsOf(svc: Services, vaultId: string, kind: 'Backup' | 'Restore') {
  const { rows } = await svc.pool.query<{ status: string; message: string; data_transferred: string | null }>(
    `select status, message, data_transferred from operations where vault_id = $1 and kind = $2
     order by started_at, id`,
    [vaultId, kind],
  );
  return rows;
}

/** The vault's recovery points by item path, oldest first. */
export async function pointsOf(svc: Services, vaultId: string) {
  const { rows } = await svc.pool.query<{ id: string; taken_at: Date; path: string; key_id: string }>(
    `select p.id, p.taken_at, i.path, p.key_id from recovery_points p join protected_items i on i.id = p.item_id
     where p.vault_id = $1 order by p.taken_at, p.id`,
    [vaultId],
  );
  return rows;
}

/** The folder store's temporary files in the key's namespace: writes that never finished (a killed portal's). */
async function temporaryFiles(svc: Services, keyId: string): Promise<number> {
  if (!(svc.store instanceof FileBlobStore)) return 0;
  const names = await readdir(path.join(svc.store.root, ...keyPrefix(keyId).split('/').filter(Boolean)), {
    recursive: true,
  }).catch(() => []);
  return names.filter((name) => path.basename(String(name)).startsWith('.tmp-')).length;
}

/**
 * Packs in the store against the index (and the folder store's unfinished writes, `temporary`): `orphans` are stored packs no backup_objects row names, `missing` packs that
 * rows name and the store lacks (data lost).
 */
export async function auditPacks(svc: Services, keyId: string) {
  const stored = new Set<string>();
  for await (const blob of svc.store.list(keyPrefix(keyId))) {
    const packId = packIdOf(keyId, blob.key);
    if (packId !== null) stored.add(packId);
  }
  const { rows } = await svc.pool.query<{ pack_id: string }>(
    'select distinct pack_id from backup_objects where key_id = $1 and pack_id is not null',
    [keyId],
  );
  const named = new Set(rows.map((r) => r.pack_id));
  return {
    temporary: await temporaryFiles(svc, keyId),
    stored: stored.size,
    orphans: [...stored].filter((id) => !named.has(id)),
    missing: [...named].filter((id) => !stored.has(id)),
  };
}

/**
 * Garbage collection of the key as the backup-data job runs it, hours later: past the grace period of unreferenced
 * objects (6 h) and past the hour an unindexed blob must have (ORPHAN_MIN_AGE_SECONDS) in both the portal's and the
 * store's time.
 */
export function collectHoursLater(svc: Services, keyId: string) {
  return collectGarbage(
    svc,
    keyId,
    DEFAULT_GRACE_SECONDS,
    new Date(svc.clock.nowMs() + (DEFAULT_GRACE_SECONDS + 3600) * 1000),
  );
}

/**
 * Restores every recovery point of the machine's folders with the agent's `recover` (through the route handlers on
 * `svc`, in this process) into a fresh folder each, and compares it byte for byte with the folder it was taken of
 * (which the tests do not change). Returns the points and what did not restore identically.
 */
export async function restoreEveryPoint(svc: Services, machine: Machine, vaultId: string) {
  serveRoutesFrom(svc);
  const { fetch } = routeFetch(restoreRoutes);
  const points = await pointsOf(svc, vaultId);
  const failures: string[] = [];
  let identical = 0;
  for (const point of points) {
    const target = await mkdtemp(path.join(machine.work, 'restored-'));
    try {
      const run = await agentRun(
        machine,
        ['recover', '--path', point.path, '--point', point.taken_at.toISOString(), '--target', target],
        { fetch },
      );
      if (run.code !== 0) {
        failures.push(`${point.id} (${point.path}): ${run.stderr.trim()}`);
        continue;
      }
      const { rows } = await svc.pool.query<{ point_id: string }>(
        `select r.point_id from restores r join recovery_points p on p.id = r.point_id
         where p.item_id = (select item_id from recovery_points where id = $1) order by r.requested_at desc limit 1`,
        [point.id],
      );
      if (rows[0]?.point_id !== point.id) {
        failures.push(`${point.id} (${point.path}): the restore took point ${rows[0]?.point_id}`);
        continue;
      }
      const diff = await differences(point.path, target);
      if (diff.length > 0) failures.push(`${point.id} (${point.path}): ${diff.slice(0, 3).join(', ')}`);
      else identical += 1;
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  }
  return { points: points.length, identical, failures };
}

/** The figures as a small table. */
export function figuresTable(rows: Figures[]): string {
  const columns: Array<[string, (f: Figures) => string]> = [
    ['scenario', (f) => f.scenario],
    ['backups started', (f) => String(f.backupsStarted)],
    ['points committed', (f) => String(f.pointsCommitted)],
    ['points restored identical', (f) => String(f.pointsRestored)],
    ['jobs stuck', (f) => String(f.jobsStuck)],
    ['orphan packs', (f) => String(f.orphanPacks)],
    ['needed packs deleted', (f) => String(f.neededPacksDeleted)],
    ['jobs swept', (f) => String(f.sweptJobs)],
    ['orphans before GC', (f) => String(f.orphansBeforeGc)],
    ['tmp files before/after GC', (f) => `${f.temporaryBeforeGc}/${f.temporaryAfterGc}`],
    ['seconds', (f) => f.seconds.toFixed(1)],
    ['fault as felt', (f) => f.fault],
  ];
  const cells = [columns.map(([name]) => name), ...rows.map((row) => columns.map(([, value]) => value(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join(
    '\n',
  );
}
