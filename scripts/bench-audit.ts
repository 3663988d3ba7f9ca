/**
 * Issue 14's operation logs in `npm run bench`: the chain check the OPERATION LOGS page runs on every view, over a
 * 100,000-entry chain (a subscription's years of changes), and the page's list on the same data.
 */
import type pg from 'pg';
import type { Database } from '@/db/client';
import { listLogEntries } from '@/lib/audit/queries';
import { checkChains } from '@/lib/audit/verify';
import type { PortalUser } from '@/lib/auth/users';

const ENTRIES = 100_000;
const BATCH = 500;

export async function operationLogGoals(pool: pg.Pool, db: Database, user: PortalUser) {
  const sub = user.subscriptions[0]!.id;
  console.log(`Seeding an operation log chain of ${ENTRIES.toLocaleString('en-US')} entries...`);
  // Through the chain trigger, as the portal appends them: each entry numbered, linked and hashed. In statements of
  // 500: each entry's head update leaves a row version its transaction must step over, so one statement of 100,000
  // would take minutes (the portal appends an entry or two per transaction).
  for (let done = 0; done < ENTRIES; done += BATCH) {
    await pool.query(
      `insert into operation_logs (actor_id, actor, subscription_id, category, operation, target, status, detail, after)
       select $1, 'bench@example.com', $2, 'Policies', 'Change policy', 'Nightly ' || g, 'Succeeded',
              'The policy has been changed.', jsonb_build_object('dailyDays', g % 90)
       from generate_series($3::int, $4::int) g`,
      [user.id, sub, done + 1, done + BATCH],
    );
  }
  await pool.query('analyze operation_logs');
  const check = await checkChains(db, [sub]);
  if (check.entries < ENTRIES || check.breaks.length > 0) throw new Error('the seeded chain does not check out');
  return [
    { name: 'log chain check, 100k-entry chain', medianMs: 600, run: () => checkChains(db, [sub]) },
    { name: 'operation logs, first page', medianMs: 25, run: () => listLogEntries(db, user) },
    {
      name: 'operation logs, one subscription',
      medianMs: 25,
      run: () => listLogEntries(db, user, { subscription: sub, category: 'Policies' }),
    },
  ];
}
