/**
 * `npm run bench`: the portal's performance goals, measured on a fresh database (DATABASE_URL's server when set, else an
 * embedded PGlite) seeded with 1,000 vaults in 40 subscriptions and 20,000 past operations of one user.
 * Prints median and p95 per query and exits 1 when a goal is missed. Timings are for the database work the pages do.
 */

import type { PortalUser } from '@/lib/auth/users';
import { listOpenOperations } from '@/lib/operations/queries';
import { getVault, listVaults } from '@/lib/vaults/queries';
import { vaultUsage } from '@/lib/vaults/usage';
import { freshDatabase } from '@/testing/db';
import { operationLogGoals } from './bench-audit';
import { benchCenter } from './bench-center';
import { benchEmulator } from './bench-emulator';
import { benchFrontDoor } from './bench-front-door';
import { benchBrowse, recoveryCalendarGoals } from './bench-recover';

const SUBSCRIPTIONS = 40;
const VAULTS_PER_SUBSCRIPTION = 25;
const OPERATIONS = 20_000;
const RUNS = 60;

const t = await freshDatabase();
const { pool, db } = t;
console.log(`Seeding ${SUBSCRIPTIONS * VAULTS_PER_SUBSCRIPTION} vaults and ${OPERATIONS} operations...`);
const { rows: users } = await pool.query<{ id: string }>(
  `insert into users (email, password_hash) values ('bench@example.com', 'x') returning id`,
);
const userId = users[0]!.id;
await pool.query(
  `with s as (insert into subscriptions (display_name) select 'Bench ' || g from generate_series(1, $1) g returning id)
   insert into memberships (user_id, subscription_id, role) select $2, id, 'Owner' from s`,
  [SUBSCRIPTIONS, userId],
);
await pool.query(
  `insert into vaults (subscription_id, name, region, status)
   select s.id, 'vault-' || substr(md5(s.id::text || g), 1, 10), 'westus', 'Active'
   from subscriptions s, generate_series(1, $1) g`,
  [VAULTS_PER_SUBSCRIPTION],
);
await pool.query(
  `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, status, progress, message, started_at, dismissed_at)
   select $1, v.subscription_id, v.id, v.name, 'CreateVault', 'Succeeded', 100, 'done', now() - (g || ' minutes')::interval,
          case when g > 3 then now() end
   from generate_series(1, $2) g
   join lateral (select * from vaults offset (g % 1000) limit 1) v on true`,
  [userId, OPERATIONS],
);
await pool.query('analyze');

const { rows: subs } = await pool.query<{ id: string; display_name: string }>(
  'select id, display_name from subscriptions',
);
const user: PortalUser = {
  id: userId,
  email: 'bench@example.com',
  subscriptions: subs.map((s) => ({ id: s.id, displayName: s.display_name, role: 'Owner' as const })),
};

let cursor: string | undefined;
for (let i = 0; i < 10; i++) cursor = (await listVaults(db, user, { after: cursor })).next;
const someVault = (await listVaults(db, user)).rows[0]!.id;

type Goal = { name: string; medianMs: number; run: () => Promise<unknown> };
const goals: Goal[] = [
  { name: 'vault list, first page of 50', medianMs: 25, run: () => listVaults(db, user) },
  { name: 'vault list, page 11 (keyset)', medianMs: 25, run: () => listVaults(db, user, { after: cursor }) },
  { name: 'one vault (page guard)', medianMs: 10, run: () => getVault(db, user, someVault) },
  { name: 'notification poll (20k history)', medianMs: 10, run: () => listOpenOperations(db, userId) },
  { name: 'dashboard usage overview', medianMs: 15, run: () => vaultUsage(db, someVault) },
  ...(await recoveryCalendarGoals(pool, db, someVault)),
  ...(await operationLogGoals(pool, db, user)),
];

let missed = 0;
console.log(`\n${'query'.padEnd(36)} ${'median'.padStart(9)} ${'p95'.padStart(9)} ${'goal'.padStart(9)}`);
for (const goal of goals) {
  for (let i = 0; i < 5; i++) await goal.run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await goal.run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(RUNS / 2)]!;
  const p95 = times[Math.floor(RUNS * 0.95)]!;
  const ok = median <= goal.medianMs;
  if (!ok) missed += 1;
  console.log(
    `${goal.name.padEnd(36)} ${median.toFixed(2).padStart(7)}ms ${p95.toFixed(2).padStart(7)}ms ${`<=${goal.medianMs}`.padStart(7)}ms ${ok ? 'ok' : 'MISSED'}`,
  );
}

const plan = await pool.query(
  `explain select id from operations where user_id = $1 and dismissed_at is null order by started_at desc limit 20`,
  [userId],
);
console.log(`\nnotification poll plan:\n  ${plan.rows.map((r) => r['QUERY PLAN']).join('\n  ')}`);
await t.close();

// Issue 9: the recovery-point browser in headless Chromium, against the built portal (scripts/bench-recover.ts).
console.log('\nRecovery-point browser ...');
if (!(await benchBrowse())) missed += 1;

// Issue 13: whole requests from outside, next to a bare Next.js app (scripts/bench-front-door.ts).
console.log('\nThe front door: pages and the poll against a bare Next.js page ...');
missed += await benchFrontDoor();
// Issue 25: the Backup center at 1,000 vaults and 1,000,000 jobs (scripts/bench-center.ts).
console.log('\nThe Backup center at fleet scale ...');
missed += await benchCenter();
// Issue 23: emulator mode's start, reset and seed (scripts/bench-emulator.ts).
console.log('\nEmulator mode ...');
missed += await benchEmulator();
console.log(missed ? `\n${missed} goal(s) missed.` : '\nAll goals met.');
process.exit(missed ? 1 : 0);
