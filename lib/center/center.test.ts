import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadUser, type PortalUser } from '@/lib/auth/users';
import { collectGarbage } from '@/lib/backups/purge';
import { createSubscription } from '@/lib/emulator/control';
import { type SeedResult, seedEmulator } from '@/lib/emulator/seed';
import { vaultUsage } from '@/lib/vaults/usage';
import { registeredMachine } from '@/testing/backups';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { centerFigures, FIGURES_FRESH_MS } from './figures';
import { centerJobs, csvField, jobsCsv, spanStart } from './jobs';
import { adherence, centerCharts, centerTiles, itemsByHealth, windowDays } from './queries';
import { centerScope } from './scope';

let svc: TestServices;
let admin: PortalUser;
let adminSubscription: string;
let other: { subscriptionId: string; user: PortalUser };
let seeded: SeedResult;
let seededOther: SeedResult;
let now: Date;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
const FAILING = 'The disk was not ready, "E:" said so';

/** The rollups as they stand, to compare with a rebuild from the history. */
async function rollups() {
  const { rows: vaultDays } = await svc.pool.query(
    `select vault_id, day::text, subscription_id, backups_completed, backups_failed, restores_completed,
       restores_failed, jobs_cancelled, (bytes_added - bytes_removed)::bigint as net
     from vault_days order by vault_id, day`,
  );
  const { rows: itemDays } = await svc.pool.query(
    `select item_id, day::text, vault_id, subscription_id, backups_completed, backups_failed, backup_seconds,
       backup_seconds_max, points
     from item_days order by item_id, day`,
  );
  const { rows: items } = await svc.pool.query(
    'select id, last_point_at, last_point_bytes from protected_items order by id',
  );
  return { vaultDays, itemDays, items };
}

beforeAll(async () => {
  svc = await testServices();
  admin = await createTestUser(svc);
  adminSubscription = admin.subscriptions[0]!.id;
  now = svc.clock.now();
  const files = (tag: string) => ({ [`${tag}.txt`]: `content of ${tag}\n`.repeat(100), 'same.txt': 'shared\n' });
  seeded = await seedEmulator(
    svc,
    { id: admin.id, subscriptionId: adminSubscription },
    {
      vaults: [
        {
          name: 'center-a',
          servers: [
            {
              name: 'SRV-A1',
              items: [
                // Healthy: backed up an hour ago and a day before.
                {
                  path: '/data/ok',
                  points: [
                    { takenAt: at(HOUR), files: files('ok-2') },
                    { takenAt: at(DAY + HOUR), files: files('ok-1') },
                  ],
                },
                // Failed: its newest backup failed today; its last good one is 3 days old.
                {
                  path: '/data/failing, "quoted"',
                  points: [{ takenAt: at(3 * DAY), files: files('failing') }],
                  jobs: [
                    { operation: 'Backup', status: 'Completed', startedAt: at(3 * DAY + 60_000), endedAt: at(3 * DAY) },
                    {
                      operation: 'Backup',
                      status: 'Failed',
                      startedAt: at(2 * HOUR),
                      endedAt: at(2 * HOUR - 30_000),
                      error: FAILING,
                    },
                  ],
                },
                // Inactive: its only point is 10 days old.
                { path: '/data/stale', points: [{ takenAt: at(10 * DAY), files: files('stale') }] },
                // Pending: protected, never backed up.
                { path: '/data/new', points: [] },
              ],
            },
          ],
        },
      ],
    },
  );
  const sub = await createSubscription(svc, { name: 'Other subscription' });
  const otherUser = await svc.pool.query<{ id: string }>('select id from users where email = $1', [sub.email]);
  other = { subscriptionId: sub.subscriptionId, user: (await loadUser(otherUser.rows[0]!.id, svc.db))! };
  seededOther = await seedEmulator(
    svc,
    { id: other.user.id, subscriptionId: other.subscriptionId },
    {
      vaults: [
        {
          name: 'center-b',
          servers: [
            { name: 'SRV-B1', items: [{ path: '/b/data', points: [{ takenAt: at(HOUR), files: files('b') }] }] },
          ],
        },
      ],
    },
  );
  // The admin is in both subscriptions (as a Reader in the other one).
  await svc.pool.query(`insert into memberships (user_id, subscription_id, role) values ($1, $2, 'Reader')`, [
    admin.id,
    other.subscriptionId,
  ]);
  admin = (await loadUser(admin.id, svc.db))!;
});
afterAll(() => svc.close());

describe('the Backup center', () => {
  it('tiles: jobs of the last 24 hours, items by health, storage after deduplication and its saving, alerts', async () => {
    const mine = centerScope(admin, adminSubscription);
    expect(mine.unknown).toBe(false);
    const tiles = await centerTiles(svc.pool, mine.scope);
    // The last 24 hours: /data/ok's newest backup (an hour ago) and /data/failing's failure; not the day-old one.
    expect(tiles.jobs).toEqual({ Completed: 1, Failed: 1, InProgress: 0, Cancelled: 0 });
    expect(tiles.items).toEqual({ Healthy: 1, Failed: 1, Inactive: 1, Pending: 1 });
    // The failed backup raised a Critical alert (the alerts trigger) when it was recorded.
    expect(tiles.alerts).toEqual({ Critical: 1, Warning: 0 });
    const { rows } = await svc.pool.query(
      `select coalesce(sum(o.size), 0)::bigint as stored,
         (select sum(p.bytes) from recovery_points p where p.vault_id = $1 and p.taken_at = (
            select max(q.taken_at) from recovery_points q where q.item_id = p.item_id))::bigint as source
       from backup_objects o join backup_keys k on k.id = o.key_id where k.vault_id = $1`,
      [seeded.vaults[0]!.id],
    );
    expect(tiles.storage.storedBytes).toBe(Number(rows[0].stored));
    expect(tiles.storage.sourceBytes).toBe(Number(rows[0].source));
    expect(tiles.storage.storedBytes).toBeGreaterThan(0);

    // Every subscription of the user: the other one's vault counts too; a user of the other one sees only it.
    const all = await centerTiles(svc.pool, centerScope(admin, undefined).scope);
    expect(all.items.Healthy).toBe(2);
    const theirs = centerScope(other.user, adminSubscription);
    expect(theirs.unknown).toBe(true);
    expect(theirs.scope).toEqual({ subscriptionIds: [other.subscriptionId] });
    expect((await centerTiles(svc.pool, theirs.scope)).items).toEqual({
      Healthy: 1,
      Failed: 0,
      Inactive: 0,
      Pending: 0,
    });
  });

  it('items needing attention: Failed and Inactive, oldest good backup first, a failure with its job error', async () => {
    const { items, next } = await itemsByHealth(svc.pool, centerScope(admin, undefined).scope, ['Failed', 'Inactive']);
    expect(next).toBeUndefined();
    expect(items.map((i) => [i.vaultName, i.path, i.serverName, i.health])).toEqual([
      ['center-a', '/data/stale', 'SRV-A1', 'Inactive'],
      ['center-a', '/data/failing, "quoted"', 'SRV-A1', 'Failed'],
    ]);
    expect(items[1]!.reason).toContain('The disk was not ready');
    expect(items[0]!.lastGoodBackup?.toISOString()).toBe(at(10 * DAY));
    // Paged by keyset: one at a time gives the same two, in order.
    const first = await itemsByHealth(svc.pool, centerScope(admin, undefined).scope, ['Failed', 'Inactive'], {
      limit: 1,
    });
    const second = await itemsByHealth(svc.pool, centerScope(admin, undefined).scope, ['Failed', 'Inactive'], {
      limit: 1,
      after: first.next,
    });
    expect([...first.items, ...second.items].map((i) => i.path)).toEqual(items.map((i) => i.path));
    expect(second.next).toBeUndefined();
  });

  it('policy adherence: a cell per UTC day of the window, and the share of days with a point', async () => {
    const days = windowDays(now, 30);
    expect(days).toHaveLength(30);
    expect(days.at(-1)).toBe(now.toISOString().slice(0, 10));
    const { rows } = await adherence(svc.pool, { vaultId: seeded.vaults[0]!.id }, days);
    const byPath = new Map(rows.map((r) => [r.path, r]));
    const dayOf = (ms: number) => days.indexOf(at(ms).slice(0, 10));
    const ok = byPath.get('/data/ok')!;
    expect(ok.days[dayOf(HOUR)]).toBe('Success');
    expect(ok.days[dayOf(DAY + HOUR)]).toBe('Success');
    expect(ok.days.filter((d) => d === 'Success')).toHaveLength(new Set([dayOf(HOUR), dayOf(DAY + HOUR)]).size);
    expect(ok.share).toBe(Math.round((new Set([dayOf(HOUR), dayOf(DAY + HOUR)]).size / 30) * 100));
    const failing = byPath.get('/data/failing, "quoted"')!;
    expect(failing.days[dayOf(3 * DAY)]).toBe('Success');
    // Its only backup of the last hours failed (a Success only if that UTC day is also the day of its good one).
    expect(failing.days[dayOf(2 * HOUR)]).toBe(dayOf(2 * HOUR) === dayOf(3 * DAY) ? 'Success' : 'Failed');
    expect(byPath.get('/data/new')!.days.every((d) => d === 'No backup')).toBe(true);
    expect(byPath.get('/data/new')!.share).toBe(0);
    // 7 days: the 10-day-old point is outside the window.
    const week = await adherence(svc.pool, { vaultId: seeded.vaults[0]!.id }, windowDays(now, 7));
    expect(week.rows.find((r) => r.path === '/data/stale')!.days.every((d) => d === 'No backup')).toBe(true);
  });

  it('charts: jobs per day, storage over time (its last day is what is stored now), backup duration per item', async () => {
    const days = windowDays(now, 30);
    const scope = centerScope(admin, undefined).scope;
    const charts = await centerCharts(svc.pool, scope, days);
    const completed = charts.jobs.reduce((n, d) => n + d.completed, 0);
    const failed = charts.jobs.reduce((n, d) => n + d.failed, 0);
    const { rows } = await svc.pool.query(
      `select count(*) filter (where status = 'Succeeded')::int as completed,
         count(*) filter (where status = 'Failed')::int as failed
       from operations where kind in ('Backup', 'Restore') and started_at >= $1`,
      [`${days[0]}T00:00:00Z`],
    );
    expect({ completed, failed }).toEqual(rows[0]);
    expect(failed).toBe(1);
    const tiles = await centerTiles(svc.pool, scope);
    expect(charts.storage.at(-1)!.storedBytes).toBe(tiles.storage.storedBytes);
    expect(charts.storage.reduce((n, d) => n + d.addedBytes, 0)).toBe(tiles.storage.storedBytes);
    // The failing item's 60-second backup is the longest; its day shows 60 s.
    expect(charts.durations.items[0]!.name).toBe('SRV-A1: /data/failing, "quoted"');
    const dayIndex = days.indexOf(at(3 * DAY).slice(0, 10));
    expect(charts.durations.days[dayIndex]!.seconds[0]).toBe(60);
  });

  it('the rollups kept by triggers equal a rebuild from the history, and follow a real backup and its deletion', async () => {
    const kept = await rollups();
    await svc.pool.query('select rebuild_center_rollups()');
    expect(await rollups()).toEqual(kept);

    // A real backup by the real agent: the vault's bytes added are its stored objects; the job counts on its day.
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    for (let i = 0; i < 5; i++) await writeFile(path.join(folder, `f${i}.txt`), `file ${i}\n`.repeat(1000 * (i + 1)));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    const stored = async () =>
      Number(
        (
          await svc.pool.query(
            `select coalesce(sum(o.size), 0)::bigint as n from backup_objects o
             join backup_keys k on k.id = o.key_id where k.vault_id = $1`,
            [machine.vaultId],
          )
        ).rows[0].n,
      );
    const before = await stored();
    expect(before).toBeGreaterThan(0);
    expect((await vaultUsage(svc.db, machine.vaultId)).storageUsedBytes).toBe(before);
    const today = windowDays(svc.clock.now(), 1);
    const series = await centerCharts(svc.pool, { vaultId: machine.vaultId }, today);
    expect(series.jobs).toEqual([{ day: today[0], completed: 1, failed: 0 }]);
    expect(series.storage).toEqual([{ day: today[0], storedBytes: before, addedBytes: before }]);

    // Change a file and back up again, then stop protection with its data: collection removes what no point needs.
    await writeFile(path.join(folder, 'f0.txt'), 'changed\n'.repeat(5000));
    expect((await machine.agent('backup')).code).toBe(0);
    const { rows: points } = await svc.pool.query<{ id: string }>(
      'select id from recovery_points where vault_id = $1 order by taken_at limit 1',
      [machine.vaultId],
    );
    await svc.pool.query('delete from recovery_points where id = $1', [points[0]!.id]);
    const { rows: keys } = await svc.pool.query<{ id: string }>('select id from backup_keys where vault_id = $1', [
      machine.vaultId,
    ]);
    const beforeCollection = await stored();
    const collected = await collectGarbage(svc, keys[0]!.id, 0, new Date(svc.clock.now().getTime() + DAY));
    expect(collected.objects).toBeGreaterThan(0);
    const after = await stored();
    expect(after).toBe(beforeCollection - collected.bytes);
    expect((await vaultUsage(svc.db, machine.vaultId)).storageUsedBytes).toBe(after);
    const { rows: removed } = await svc.pool.query(
      'select sum(bytes_removed)::bigint as n from vault_days where vault_id = $1',
      [machine.vaultId],
    );
    expect(Number(removed[0].n)).toBe(collected.bytes);
    await machine.remove();
  });

  it('a backup that cannot begin (its folder is gone) is a Failed job with the reason: the item needs attention', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'Scans');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.txt'), 'a scan\n');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    await rm(folder, { recursive: true });
    const failed = await machine.agent('backup');
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(`The folder '${folder}' does not exist.`);
    const { rows: jobs } = await svc.pool.query(
      `select status, message from operations where vault_id = $1 and kind = 'Backup' order by started_at`,
      [machine.vaultId],
    );
    expect(jobs.map((j) => j.status)).toEqual(['Succeeded', 'Failed']);
    expect(jobs[1].message).toContain('does not exist');
    const { items } = await itemsByHealth(svc.pool, { vaultId: machine.vaultId }, ['Failed']);
    expect(items.map((i) => [i.path, i.health])).toEqual([[folder, 'Failed']]);
    expect(items[0]!.reason).toContain('does not exist');
    const { rows: alerts } = await svc.pool.query(`select kind, status from alerts where vault_id = $1`, [
      machine.vaultId,
    ]);
    expect(alerts).toEqual([{ kind: 'BackupFailure', status: 'Active' }]);
    await machine.remove();
  });

  it("the page's figures are served again for a few seconds per scope, window and page, then computed again", async () => {
    const days = windowDays(now, 30);
    const scope = centerScope(admin, adminSubscription).scope;
    const at = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(at);
    try {
      const first = centerFigures(svc.pool, scope, days, undefined);
      expect(centerFigures(svc.pool, scope, days, undefined)).toBe(first);
      // Another scope, window or page is its own.
      expect(centerFigures(svc.pool, { subscriptionIds: [other.subscriptionId] }, days, undefined)).not.toBe(first);
      expect(centerFigures(svc.pool, scope, windowDays(now, 7), undefined)).not.toBe(first);
      const before = (await first).tiles.jobs.Failed;
      // A failed job meanwhile: not in the figures served again, in the next ones.
      const { rows } = await svc.pool.query(
        `insert into operations (subscription_id, vault_id, vault_name, kind, status, message, item_id, item_name,
           server_name, ended_at)
         select subscription_id, id, name, 'Backup', 'Failed', 'failed meanwhile', gen_random_uuid(), '/x', 'S',
           portal_now()
         from vaults where id = $1 returning id`,
        [seeded.vaults[0]!.id],
      );
      expect((await centerFigures(svc.pool, scope, days, undefined)).tiles.jobs.Failed).toBe(before);
      clock.mockReturnValue(at + FIGURES_FRESH_MS + 1);
      const again = centerFigures(svc.pool, scope, days, undefined);
      expect(again).not.toBe(first);
      expect((await again).tiles.jobs.Failed).toBe(before + 1);
      await svc.pool.query('delete from operations where id = $1', [rows[0].id]);
    } finally {
      clock.mockRestore();
    }
  });

  it('jobs across vaults by keyset, and jobs.csv of the window in RFC 4180', async () => {
    const scope = centerScope(admin, undefined).scope;
    const from = spanStart('30', now);
    const all = await centerJobs(svc.pool, scope, { from, limit: 1000 });
    const paged: string[] = [];
    let after: string | undefined;
    do {
      const page = await centerJobs(svc.pool, scope, { from, after, limit: 2 });
      paged.push(...page.jobs.map((j) => j.id));
      after = page.next;
    } while (after);
    expect(paged).toEqual(all.jobs.map((j) => j.id));
    const failed = await centerJobs(svc.pool, scope, { from: spanStart('24h', now), status: 'Failed' });
    expect(failed.jobs.map((j) => j.itemName)).toEqual(['/data/failing, "quoted"']);

    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    const text = await new Response(jobsCsv(svc.pool, scope, from, 3)).text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('VAULT,OPERATION,STATUS,ITEM,SERVER,STARTED,ENDED,DATA TRANSFERRED (BYTES),DETAILS');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(all.jobs.length + 2);
    const failure = lines.find((l) => l.includes(',Failed,'))!;
    expect(failure.startsWith('center-a,Backup,Failed,"/data/failing, ""quoted""",SRV-A1,')).toBe(true);
    expect(failure).toContain('""E:"" said so');
    // Only the user's subscriptions: the other user's export has only their vault.
    const theirs = await new Response(jobsCsv(svc.pool, centerScope(other.user, undefined).scope, from)).text();
    expect(
      theirs
        .split('\r\n')
        .slice(1, -1)
        .every((l) => l.startsWith('center-b,')),
    ).toBe(true);
    expect(seededOther.vaults[0]!.name).toBe('center-b');
  });
});
