/**
 * Issue 25's goals: the Backup center (`/backup-center`) at fleet scale. Starts the built portal (`npm start`) on a
 * fresh database of BENCH_DATABASE_URL's server (default: the local PostgreSQL), seeds it with SQL (generate_series,
 * triggers and foreign-key checks off for the bulk tables, then rebuild_center_rollups() and analyze): 1,000 vaults in
 * 40 subscriptions the admin owns, a registered server, a key and 10 protected items per vault (10,000), 90 days of
 * daily recovery points (~880,000, each with its root object), 1,000,000 backup and restore jobs (~3 % failed) and
 * alerts; some items Failed, some Inactive, some Pending. Then measures:
 * - each lib/center query's median directly against a pool of its own (the database part of the page);
 * - `/backup-center`'s server time on one connection, p50 to the last byte: 12 requests each after the figures it
 *   serves again went stale (the goal), and 30 at once;
 * - requests/s under the front door's load test (autocannon, 50 connections, interleaved rounds with the bare Next.js
 *   page of bench/bare-next, scripts/bench-front-door.ts), and the first-load JavaScript of both pages.
 *
 * `npm run bench:center` runs this section alone; `npm run bench` runs it after the front door.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { FIGURES_FRESH_MS } from '@/lib/center/figures';
import { centerJobs, spanStart } from '@/lib/center/jobs';
import {
  adherence,
  backupDurations,
  centerTiles,
  dailySeries,
  itemsByHealth,
  recentAlerts,
  type Scope,
  windowDays,
} from '@/lib/center/queries';
import {
  buildBare,
  CONNECTIONS,
  firstLoadJs,
  freshBenchDatabase,
  kb,
  type Load,
  load,
  median,
  ms,
  nextStart,
  printGoals,
  ROUNDS,
  SECONDS,
  signIn,
} from './bench-front-door';
import { type Portal, startPortal, stopPortal } from './bench-portal';

const ADMIN = { email: 'bench-center@example.com', password: 'bench-center-password' };
const SUBSCRIPTIONS = 40;
const VAULTS_PER_SUBSCRIPTION = 25;
const ITEMS_PER_VAULT = 10;
const DAYS = 90;
const JOBS = 1_000_000;
/** Sequential requests of the page (after WARM_UP more) for its server time. */
const SEQUENTIAL = 30;
const WARM_UP = 5;
/** Requests each made after the figures served again went stale (lib/center/figures.ts): about a minute. */
const COLD = 12;
/** Runs of each query for its median. */
const QUERY_RUNS = 30;

const GOALS = { serverMs: 150, rpsRatio: 0.3, extraJs: 80_000 };

const sec = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

/**
 * Item n (0–9,999, by vault and path): n % 100 of 1–2 Failed (its last 1–4 days' backups failed), 3–4 Inactive (no
 * backup for 8–27 days: its server is off), n % 500 = 5 Pending (protected an hour ago), n % 1000 = 6 Stopped (30 days
 * ago). The others back up once a day; each day's job fails with a chance of 3 %, is cancelled with 0.3 %, and 50 of
 * today's are still running.
 */
const SEED: Array<[string, string]> = [
  [
    'subscriptions',
    `with s as (insert into subscriptions (display_name) select 'Bench ' || g from generate_series(2, ${SUBSCRIPTIONS}) g
       returning id)
     insert into memberships (user_id, subscription_id, role) select $1, id, 'Owner' from s`,
  ],
  [
    'vaults',
    `insert into vaults (subscription_id, name, region, status, created_by, created_at)
     select m.subscription_id, 'vault-' || substr(md5(m.subscription_id::text || g), 1, 10), 'westus', 'Active', $1,
       portal_now() - interval '120 days'
     from memberships m, generate_series(1, ${VAULTS_PER_SUBSCRIPTION}) g where m.user_id = $1`,
  ],
  // DefaultPolicy keeps daily points 30 days: the bench keeps its 90 days, so the hourly retention removes nothing.
  ['policies', 'update backup_policies set daily_days = 120'],
  [
    'servers',
    `insert into registered_servers (vault_id, name, created_at)
     select id, 'SERVER-' || upper(substr(md5(id::text), 1, 6)), portal_now() - interval '100 days' from vaults`,
  ],
  [
    'items',
    `insert into protected_items (vault_id, server_id, path, status, created_at, policy_assigned_at)
     select s.vault_id, s.id, '/srv/data-' || k, 'Protected', portal_now() - interval '100 days',
       portal_now() - interval '100 days'
     from registered_servers s, generate_series(0, ${ITEMS_PER_VAULT - 1}) k`,
  ],
  [
    'item plan',
    `create temp table bench_items as
     select i.id, i.vault_id, i.server_id, v.subscription_id, v.name as vault_name, s.name as server_name, i.path,
       n::int, case when n % 100 in (1, 2) then 'failed' when n % 100 in (3, 4) then 'inactive'
         when n % 500 = 5 then 'pending' when n % 1000 = 6 then 'stopped' else 'normal' end as kind,
       case when n % 100 in (1, 2) then 1 + n % 4 when n % 100 in (3, 4) then 8 + n % 20 when n % 1000 = 6 then 30
         else 0 end as gap
     from (select i.*, row_number() over (order by v.name, i.path) - 1 as n
           from protected_items i join vaults v on v.id = i.vault_id) i
     join vaults v on v.id = i.vault_id join registered_servers s on s.id = i.server_id`,
  ],
  [
    'pending and stopped items',
    `update protected_items i set status = case b.kind when 'pending' then 'Pending' else 'Stopped' end::protection_status,
       created_at = case b.kind when 'pending' then portal_now() - interval '1 hour' else i.created_at end,
       policy_assigned_at = case b.kind when 'pending' then portal_now() - interval '1 hour' else i.policy_assigned_at end
     from bench_items b where b.id = i.id and b.kind in ('pending', 'stopped')`,
  ],
  [
    'keys',
    `insert into backup_keys (vault_id, server_id, wrapped_key) select vault_id, id, '{}' from registered_servers`,
  ],
  // The bulk tables: no triggers (the rollups are rebuilt below) and no foreign-key checks, as a restore would load.
  ['triggers off', 'set local session_replication_role = replica'],
  [
    'job plan',
    `create temp table bench_backups as
     select b.*, d, h, k.id as key_id,
       case when b.kind = 'failed' and d < b.gap then 'Failed'
         when d = 0 and b.n % 200 = 7 then 'InProgress'
         when h % 1000 < 30 then 'Failed' when h % 1000 < 33 then 'Cancelled' else 'Succeeded' end::operation_status
         as status,
       portal_now() - make_interval(days => d, mins => 10 + (b.n * 7) % 1400) as started_at,
       30 + h % 1800 as seconds
     from bench_items b
     join backup_keys k on k.server_id = b.server_id
     cross join generate_series(0, ${DAYS - 1}) d
     cross join lateral (select abs(hashtext(b.id::text || d)) as h) x
     where b.kind <> 'pending' and not (b.kind in ('inactive', 'stopped') and d < b.gap)`,
  ],
  // Jobs go into a table like operations first, then into operations in the order they started, as the portal's own
  // would lie: a day's jobs together.
  ['job table', 'create temp table bench_ops (like operations including defaults)'],
  [
    'backup jobs',
    `insert into bench_ops (user_id, subscription_id, vault_id, vault_name, kind, status, progress, message, started_at,
       updated_at, ended_at, dismissed_at, item_id, item_name, server_id, server_name, bytes_done, bytes_total,
       files_done, files_total, data_transferred)
     select null, subscription_id, vault_id, vault_name, 'Backup', status,
       case when status = 'InProgress' then 40 else 100 end,
       'The backup of ''' || path || ''' on ''' || server_name || '''' || case status
         when 'Succeeded' then ' completed.'
         when 'Failed' then ' failed: ' || (array['the agent stopped reporting progress (it was stopped, or lost its connection).',
           'Access to the path ''' || path || '/private'' is denied.', 'There is not enough space on the disk.'])[1 + h % 3]
         when 'Cancelled' then ' was cancelled: the backup was cancelled on the server.'
         else '...' end,
       started_at, started_at + make_interval(secs => seconds),
       case when status <> 'InProgress' then started_at + make_interval(secs => seconds) end,
       case when status <> 'InProgress' then started_at + make_interval(secs => seconds) end,
       id, path, server_id, server_name, 1000000 + h % 50000000, 1000000 + h % 50000000, h % 5000, h % 5000,
       case when status = 'Succeeded' then 100000 + h % 20000000 end
     from bench_backups`,
  ],
  [
    'objects',
    `insert into backup_objects (key_id, id, size, created_at)
     select key_id, encode(sha256(convert_to(id::text || d, 'UTF8')), 'hex'), 100000 + h % 20000000, started_at
     from bench_backups where status = 'Succeeded' order by started_at`,
  ],
  [
    'points',
    `insert into recovery_points (vault_id, item_id, key_id, root_id, taken_at, files, folders, bytes, created_at)
     select vault_id, id, key_id, encode(sha256(convert_to(id::text || d, 'UTF8')), 'hex'), started_at,
       20000 + n % 5000, 300 + n % 200, (1000 + n % 50000)::bigint * 1000000 + (${DAYS} - d) * 10000000,
       started_at + make_interval(secs => seconds)
     from bench_backups where status = 'Succeeded' order by started_at`,
  ],
  [
    'restore jobs',
    `insert into bench_ops (user_id, subscription_id, vault_id, vault_name, kind, status, progress, message, started_at,
       updated_at, ended_at, dismissed_at, item_id, item_name, server_id, server_name, data_transferred)
     select $1, b.subscription_id, b.vault_id, b.vault_name, 'Restore', s.status, 100,
       case s.status when 'Succeeded' then 'Restored ' || (g % 900 + 1) || ' files of ''' || b.path || ''' to ''/restore/' || g || '''.'
         else 'The restore of ''' || b.path || ''' on ''' || b.server_name || ''' failed: the target folder is not empty.' end,
       t.at, t.at + interval '5 minutes', t.at + interval '5 minutes', t.at + interval '5 minutes',
       b.id, b.path, b.server_id, b.server_name, case when s.status = 'Succeeded' then 1000000 + g % 9000000 end
     from generate_series(1, $2::int - (select count(*) from bench_backups)::int) g
     join bench_items b on b.n = (g * 7919) % ${SUBSCRIPTIONS * VAULTS_PER_SUBSCRIPTION * ITEMS_PER_VAULT}
     cross join lateral (select portal_now() - make_interval(mins => ((g::bigint * 104729) % (${DAYS} * 1440))::int) as at) t
     cross join lateral (select case when g % 50 = 0 then 'Failed' else 'Succeeded' end::operation_status as status) s`,
  ],
  ['jobs', 'insert into operations select * from bench_ops order by started_at'],
  [
    'alerts',
    `insert into alerts (vault_id, item_id, item_name, server_id, server_name, kind, severity, status, detail, job_id,
       created_at, latest_at, resolved_at)
     select o.vault_id, o.item_id, o.item_name, o.server_id, o.server_name, 'BackupFailure', 'Critical',
       case when b.kind = 'failed' then 'Active' else 'Resolved' end::alert_status, o.message, o.id,
       o.ended_at, o.ended_at, case when b.kind <> 'failed' then o.ended_at + interval '1 day' end
     from operations o join bench_items b on b.id = o.item_id
     where o.kind = 'Backup' and o.status = 'Failed' and o.started_at > portal_now() - interval '14 days'
       and (b.kind <> 'failed' or o.started_at = (select max(started_at) from operations f
         where f.item_id = o.item_id and f.kind = 'Backup'))`,
  ],
  [
    'stale alerts',
    `insert into alerts (vault_id, item_id, item_name, server_id, server_name, kind, severity, detail, created_at,
       latest_at)
     select b.vault_id, b.id, b.path, b.server_id, b.server_name, 'NoRecentBackup', 'Warning',
       'No recovery point for more than 48 hours.', p.at + interval '48 hours', p.at + interval '48 hours'
     from bench_items b join (select id, max(started_at) as at from bench_backups group by id) p on p.id = b.id
     where b.kind = 'inactive'`,
  ],
  [
    'items\u2019 newest backups',
    `update protected_items i set last_backup_status = l.status, last_backup_at = l.ended_at
     from (select distinct on (id) id, case status when 'Succeeded' then 'Completed' else status::text end::backup_result
             as status, started_at + make_interval(secs => seconds) as ended_at
           from bench_backups where status <> 'InProgress' order by id, started_at desc) l
     where l.id = i.id`,
  ],
  [
    'servers\u2019 newest backups',
    `update registered_servers s set last_backup_at = l.at
     from (select server_id, max(started_at) as at from bench_backups group by 1) l where l.server_id = s.id`,
  ],
  ['triggers on', 'set local session_replication_role = origin'],
];

/**
 * Seeds the fleet for the admin in one transaction (the portal's worker, already running, sees none of it half
 * made), rebuilds the rollups in it, then vacuums and analyzes. Returns the admin's id.
 */
export async function seed(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`set work_mem = '256MB'`);
    await client.query(`set maintenance_work_mem = '512MB'`);
    const { rows } = await client.query<{ id: string }>('select id from users where email = $1', [ADMIN.email]);
    const userId = rows[0]!.id;
    const start = performance.now();
    const steps: string[] = [];
    await client.query('begin');
    for (const [name, sql] of SEED) {
      const at = performance.now();
      const params = sql.includes('$2') ? [userId, JOBS] : sql.includes('$1') ? [userId] : [];
      const result = await client.query(sql, params);
      if (process.env.BENCH_CENTER_STEPS) console.log(name, sec(at));
      if (performance.now() - at > 1000) steps.push(`${name}: ${result.rowCount ?? ''} in ${sec(at)}`);
    }
    const at = performance.now();
    await client.query('select rebuild_center_rollups()');
    const rebuild = sec(at);
    // The triggers write a day's rollup rows as the day goes: laid out a day after another, as here.
    for (const table of ['vault_days', 'item_days']) {
      await client.query(`create temp table bench_${table} as select * from ${table} order by day`);
      await client.query(`truncate ${table}`);
      await client.query(`insert into ${table} select * from bench_${table} order by day`);
    }
    await client.query('commit');
    console.log(`  seeded in ${sec(start)} (${steps.join('; ')})`);
    console.log(`  rebuild_center_rollups(): ${rebuild}`);
    const vacuum = performance.now();
    await client.query('vacuum analyze');
    console.log(`  vacuum analyze: ${sec(vacuum)}`);
    const counts = await client.query(
      `select (select count(*) from vaults) as vaults, (select count(*) from protected_items) as items,
         (select count(*) from operations) as jobs, (select count(*) from recovery_points) as points,
         (select count(*) from alerts) as alerts, (select count(*) from item_days) as item_days,
         (select count(*) from vault_days) as vault_days`,
    );
    const c = counts.rows[0];
    console.log(
      `  ${c.vaults} vaults, ${c.items} items, ${c.jobs} jobs, ${c.points} recovery points, ${c.alerts} alerts; ` +
        `rollups: ${c.item_days} item days, ${c.vault_days} vault days`,
    );
    return userId;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

/** Each lib/center query the page (and its lists) runs, timed directly against a pool: median and p95 in ms. */
export async function queryMedians(databaseUrl: string, userId: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  try {
    const { rows } = await pool.query<{ id: string }>(
      'select subscription_id as id from memberships where user_id = $1',
      [userId],
    );
    const scope: Scope = { subscriptionIds: rows.map((r) => r.id) };
    const now = new Date();
    const days30 = windowDays(now, 30);
    const days90 = windowDays(now, 90);
    const queries: Array<[string, () => Promise<unknown>]> = [
      ['centerTiles', () => centerTiles(pool, scope)],
      ['itemsByHealth (attention, 10)', () => itemsByHealth(pool, scope, ['Failed', 'Inactive'], { limit: 10 })],
      ['adherence (30 days, 25 rows)', () => adherence(pool, scope, days30)],
      ['dailySeries (30 days)', () => dailySeries(pool, scope, days30)],
      ['backupDurations (30 days)', () => backupDurations(pool, scope, days30)],
      ['adherence (90 days, 25 rows)', () => adherence(pool, scope, days90)],
      ['dailySeries (90 days)', () => dailySeries(pool, scope, days90)],
      ['backupDurations (90 days)', () => backupDurations(pool, scope, days90)],
      ['centerJobs (24 h, first 50)', () => centerJobs(pool, scope, { from: spanStart('24h', now) })],
      [
        'centerJobs (30 days, Failed, 50)',
        () => centerJobs(pool, scope, { from: spanStart('30', now), status: 'Failed' }),
      ],
      ['recentAlerts (24 h, 50)', () => recentAlerts(pool, scope)],
      // What the page asks for, together as it does (outside a render: React's cache does not share the vault days).
      [
        "the page's five, together",
        () =>
          Promise.all([
            centerTiles(pool, scope),
            itemsByHealth(pool, scope, ['Failed', 'Inactive'], { limit: 10 }),
            adherence(pool, scope, days30),
            dailySeries(pool, scope, days30),
            backupDurations(pool, scope, days30),
          ]),
      ],
    ];
    const results: Array<{ name: string; median: number; p95: number }> = [];
    for (const [name, run] of queries) {
      for (let i = 0; i < 3; i++) await run();
      const times: number[] = [];
      for (let i = 0; i < QUERY_RUNS; i++) {
        const at = performance.now();
        await run();
        times.push(performance.now() - at);
      }
      times.sort((a, b) => a - b);
      results.push({
        name,
        median: times[Math.floor(times.length / 2)]!,
        p95: times[Math.floor(times.length * 0.95)]!,
      });
    }
    return results;
  } finally {
    await pool.end();
  }
}

/** One GET on a kept-alive connection, timed to its last byte. */
function timedGet(url: string, cookie: string, agent: Agent): Promise<{ ms: number; status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const at = performance.now();
    request(url, { agent, headers: { cookie } }, (res) => {
      let bytes = 0;
      res.on('data', (b: Buffer) => {
        bytes += b.length;
      });
      res.on('end', () => resolve({ ms: performance.now() - at, status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/**
 * The page's server time: p50 (and p95) of requests on one connection, after WARM_UP. Cold: each one after the
 * figures served again have gone stale (lib/center/figures.ts), so the database work is in every one of them; warm:
 * SEQUENTIAL at once, the figures served again.
 */
async function serverTime(url: string, cookie: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const timed = async (count: number, pauseMs: number) => {
    const runs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      const r = await timedGet(url, cookie, agent);
      if (r.status !== 200) throw new Error(`${url} answered ${r.status}, not 200.`);
      runs.push(r.ms);
      bytes = r.bytes;
    }
    runs.sort((a, b) => a - b);
    return { p50: runs[Math.floor(count / 2)]!, p95: runs[Math.floor(count * 0.95)]!, bytes };
  };
  try {
    await timed(WARM_UP, 0);
    const cold = await timed(COLD, FIGURES_FRESH_MS + 100);
    const warm = await timed(SEQUENTIAL, 0);
    return { cold, warm };
  } finally {
    agent.destroy();
  }
}

/** Runs the section; returns how many of issue 25's goals were missed. */
export async function benchCenter(): Promise<number> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-center-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    console.log('Building the bare Next.js fixture (bench/bare-next) ...');
    const bare = await nextStart(await buildBare(work), process.env, '/');
    cleanups.push(() => stopPortal(bare));

    const database = freshBenchDatabase('bench_center');
    cleanups.push(database.drop);
    console.log(`Creating a database on ${new URL(database.url).host} and starting the portal ...`);
    const portal: Portal = await startPortal(database.url, path.join(work, 'portal-data'), ADMIN);
    cleanups.push(() => stopPortal(portal));
    console.log(
      `Seeding ${SUBSCRIPTIONS * VAULTS_PER_SUBSCRIPTION} vaults, ` +
        `${SUBSCRIPTIONS * VAULTS_PER_SUBSCRIPTION * ITEMS_PER_VAULT} items, ${DAYS} days of points and ` +
        `${JOBS.toLocaleString('en-US')} jobs ...`,
    );
    const userId = await seed(database.url);

    console.log(`\nlib/center's queries against the pool (all ${SUBSCRIPTIONS} subscriptions, ${QUERY_RUNS} runs):`);
    console.log(`${'query'.padEnd(36)} ${'median'.padStart(9)} ${'p95'.padStart(9)}`);
    for (const q of await queryMedians(database.url, userId)) {
      console.log(`${q.name.padEnd(36)} ${q.median.toFixed(1).padStart(7)}ms ${q.p95.toFixed(1).padStart(7)}ms`);
    }

    const cookie = await signIn(portal.url, ADMIN);
    const page = `${portal.url}/backup-center`;
    const { cold, warm } = await serverTime(page, cookie);
    console.log(
      `\n/backup-center on one connection, to the last byte (${kb(cold.bytes)} of HTML):\n` +
        `  ${COLD} requests with the figures computed again: p50 ${ms(cold.p50)}, p95 ${ms(cold.p95)}\n` +
        `  ${SEQUENTIAL} requests at once, the figures served again: p50 ${ms(warm.p50)}, p95 ${ms(warm.p95)}`,
    );
    const time = cold;

    const targets: Array<[string, string, string | undefined]> = [
      ['bare Next.js dynamic page', `${bare.url}/`, undefined],
      ['/backup-center', page, cookie],
    ];
    console.log(
      `\nautocannon, ${CONNECTIONS} connections for ${SECONDS} s each, ${ROUNDS} interleaved rounds (medians):`,
    );
    console.log(`${''.padEnd(28)} ${'req/s'.padStart(7)} ${'p50'.padStart(9)} ${'p97.5'.padStart(9)}   req/s vs bare`);
    const rounds = new Map<string, Load[]>(targets.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, url, withCookie] of targets)
        rounds.get(name)!.push(await load(url, withCookie, { warm: round === 0 }));
    }
    const [bareLoad, centerLoad] = targets.map(([name]) => median(rounds.get(name)!)) as [Load, Load];
    for (const [[name], r] of [
      [targets[0]!, bareLoad],
      [targets[1]!, centerLoad],
    ] as const) {
      console.log(
        `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(7)} ${ms(r.p50).padStart(9)} ${ms(r.p975).padStart(9)}` +
          `   ${(r.rps / bareLoad.rps).toFixed(2).padStart(5)}×` +
          (r.failed ? `   ${r.failed} failed` : ''),
      );
    }

    const bareJs = await firstLoadJs(`${bare.url}/`);
    const centerJs = await firstLoadJs(page, cookie);
    console.log(
      `\nFirst-load JavaScript (as transferred): bare page ${kb(bareJs)}, /backup-center ${kb(centerJs)} ` +
        `(+${kb(centerJs - bareJs)})`,
    );

    const ratio = centerLoad.rps / bareLoad.rps;
    const goals: Array<[string, boolean]> = [
      [`/backup-center server time p50 ≤ ${GOALS.serverMs} ms (${ms(time.p50)})`, time.p50 <= GOALS.serverMs],
      [
        `/backup-center ≥ ${GOALS.rpsRatio}× the bare page's requests/s (${ratio.toFixed(2)}×)`,
        ratio >= GOALS.rpsRatio && centerLoad.failed === 0,
      ],
      [
        `first-load JS ≤ the bare page's + ${kb(GOALS.extraJs)} (+${kb(centerJs - bareJs)})`,
        centerJs <= bareJs + GOALS.extraJs,
      ],
    ];
    return printGoals('issue 25', goals);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => console.error(err));
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const missed = await benchCenter();
  console.log(missed ? `\n${missed} goal(s) missed.` : '\nAll goals met.');
  process.exit(0);
}
