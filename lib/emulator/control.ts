import 'server-only';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { hashPassword } from '@/lib/auth/password';
import { FileBlobStore } from '@/lib/blob-store/file';
import { PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';
import type { FaultRule } from '@/lib/services/faults';
import { processJournal } from './journal';

/** The operations a fault rule can name (the contract's list). */
export const FAULT_OPERATIONS = [
  'CreateVault',
  'DeleteVault',
  'DownloadCredentials',
  'RegisterServer',
  'Backup',
  'Restore',
  'Arm',
] as const;

const faultSchema = z.object({
  operation: z.enum(FAULT_OPERATIONS, { error: `operation must be one of ${FAULT_OPERATIONS.join(', ')}` }),
  match: z
    .object({ name: z.string().min(1).max(200).optional() })
    .strict()
    .optional(),
  error: z.string().min(1).max(2000).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  probability: z.number().min(0).max(1).optional(),
  times: z.number().int().min(1).optional(),
});

/** `PUT /_emulator/faults`: the rules replace the current ones. */
export function setFaults(svc: Services, input: unknown) {
  const parsed = z
    .array(faultSchema)
    .max(100)
    .safeParse(Array.isArray(input) ? input : (input as { rules?: unknown })?.rules);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PortalError('invalid', `${issue.path.length ? `rules[${issue.path.join('].')}: ` : ''}${issue.message}`);
  }
  svc.faults.clear();
  for (const rule of parsed.data) {
    const added: FaultRule = {
      operation: rule.operation,
      ...(rule.match?.name ? { match: { name: rule.match.name } } : {}),
      ...(rule.error ? { message: rule.error } : {}),
      ...(rule.delayMs !== undefined ? { delayMs: rule.delayMs } : {}),
      ...(rule.probability !== undefined ? { probability: rule.probability } : {}),
      ...(rule.times !== undefined ? { times: rule.times } : {}),
    };
    svc.faults.add(added);
  }
  return listFaults(svc);
}

/** `GET /_emulator/faults`: the rules as given, each with how often it fired. */
export function listFaults(svc: Services) {
  return {
    rules: svc.faults.list().map((r) => ({
      operation: r.operation,
      ...(r.match ? { match: r.match } : {}),
      ...(r.message ? { error: r.message } : {}),
      ...(r.delayMs !== undefined ? { delayMs: r.delayMs } : {}),
      ...(r.probability !== undefined ? { probability: r.probability } : {}),
      ...(r.times !== undefined ? { times: r.times } : {}),
      fired: r.fired,
    })),
  };
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `48h`, `90m`, `7d`, `30s` (also negative, and decimals like `1.5h`) in milliseconds. */
export function parseDuration(text: unknown): number {
  const match = typeof text === 'string' ? /^(-?\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim()) : null;
  if (!match) throw new PortalError('invalid', 'advance must be a duration such as 30s, 15m, 48h or 7d.');
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** `POST /_emulator/clock`: `{"advance":"48h"}` or `{"set":ISO}`; answers the new time. */
export async function moveClock(svc: Services, input: unknown): Promise<{ now: string }> {
  const body = (input ?? {}) as { advance?: unknown; set?: unknown };
  let offset: number;
  if (body.advance !== undefined && body.set === undefined) {
    offset = svc.clock.offsetMs() + parseDuration(body.advance);
  } else if (body.set !== undefined && body.advance === undefined) {
    const at = typeof body.set === 'string' ? Date.parse(body.set) : Number.NaN;
    if (Number.isNaN(at)) throw new PortalError('invalid', 'set must be a date and time such as 2030-01-01T00:00:00Z.');
    offset = at - Date.now();
  } else {
    throw new PortalError('invalid', 'Send {"advance":"48h"} or {"set":"2030-01-01T00:00:00Z"}.');
  }
  await svc.clock.setOffset(offset);
  return { now: svc.clock.now().toISOString() };
}

export async function realClock(svc: Services): Promise<{ now: string }> {
  await svc.clock.setOffset(0);
  return { now: svc.clock.now().toISOString() };
}

/** The tables reset leaves alone: the migrations' own record and the clock's row (reset sets it to real time). */
const KEEP = new Set(['portal_clock']);
let adminHash: { password: string; hash: string } | undefined;

/**
 * `POST /_emulator/reset`: back to the fresh state. Whole: every table emptied in one statement (triggers off for it,
 * so the append-only operation logs go too), then the admin alone again with the same id (sessions and stored
 * sign-ins stay valid), the real clock, no fault rules, an empty journal and blob store. One subscription: its
 * vaults and everything in them, its jobs, alerts and logs, and its members other than its Owners.
 */
export async function resetEmulator(svc: Services, input: unknown): Promise<{ reset: 'all' | string }> {
  const subscriptionId = (input as { subscriptionId?: unknown } | null)?.subscriptionId;
  if (subscriptionId !== undefined) {
    if (!z.uuid().safeParse(subscriptionId).success) throw new PortalError('invalid', 'subscriptionId must be a uuid.');
    await resetSubscription(svc, subscriptionId as string);
    return { reset: subscriptionId as string };
  }
  const email = (svc.env.PORTAL_ADMIN_EMAIL ?? 'admin@localhost').toLowerCase();
  const password = svc.env.PORTAL_ADMIN_PASSWORD ?? 'emulator-password';
  if (adminHash?.password !== password) adminHash = { password, hash: await hashPassword(password) };
  const hash = adminHash.hash;
  await withTransaction(svc.pool, async (_tx, client) => {
    const { rows: admin } = await client.query<{ id: string; subscription_id: string | null; name: string | null }>(
      `select u.id, m.subscription_id, s.display_name as name from users u
         left join memberships m on m.user_id = u.id and m.role = 'Owner'
         left join subscriptions s on s.id = m.subscription_id
        where lower(u.email) = $1 order by s.created_at limit 1`,
      [email],
    );
    const { rows: tables } = await client.query<{ name: string }>(
      `select quote_ident(tablename) as name from pg_tables where schemaname = 'public'`,
    );
    const names = tables.map((t) => t.name).filter((t) => !KEEP.has(t));
    await client.query(`set local session_replication_role = replica`);
    await client.query(`truncate table ${names.join(', ')}`);
    await client.query(`set local session_replication_role = origin`);
    const userId = admin[0]?.id;
    const { rows: user } = await client.query<{ id: string }>(
      `insert into users (${userId ? 'id, ' : ''}email, password_hash) values (${userId ? '$3, ' : ''}$1, $2) returning id`,
      userId ? [email, hash, userId] : [email, hash],
    );
    const subId = admin[0]?.subscription_id;
    const { rows: sub } = await client.query<{ id: string }>(
      `insert into subscriptions (${subId ? 'id, ' : ''}display_name) values (${subId ? '$2, ' : ''}$1) returning id`,
      subId ? ['Free Trial', subId] : ['Free Trial'],
    );
    await client.query(`insert into memberships (user_id, subscription_id, role) values ($1, $2, 'Owner')`, [
      user[0]!.id,
      sub[0]!.id,
    ]);
  });
  await svc.clock.setOffset(0);
  svc.faults.clear();
  processJournal().clear();
  if (svc.store instanceof FileBlobStore) await rm(svc.store.root, { recursive: true, force: true });
  return { reset: 'all' };
}

async function resetSubscription(svc: Services, subscriptionId: string): Promise<void> {
  await withTransaction(svc.pool, async (_tx, client) => {
    const { rows } = await client.query(`select 1 from subscriptions where id = $1 for update`, [subscriptionId]);
    if (rows.length === 0) throw new PortalError('not_found', 'No such subscription.');
    const vaults = `(select id from vaults where subscription_id = $1)`;
    await client.query(`delete from recovery_points where vault_id in ${vaults}`, [subscriptionId]);
    await client.query(`delete from protected_items where vault_id in ${vaults}`, [subscriptionId]);
    await client.query(`delete from registered_servers where vault_id in ${vaults}`, [subscriptionId]);
    await client.query(`delete from operations where subscription_id = $1`, [subscriptionId]);
    await client.query(`delete from vault_days where subscription_id = $1`, [subscriptionId]);
    await client.query(`delete from item_days where subscription_id = $1`, [subscriptionId]);
    await client.query(`delete from vaults where subscription_id = $1`, [subscriptionId]);
    await client.query(`delete from invitations where subscription_id = $1`, [subscriptionId]);
    // Members other than Owners leave; those who belong nowhere else go.
    const { rows: gone } = await client.query<{ user_id: string }>(
      `delete from memberships where subscription_id = $1 and role <> 'Owner' returning user_id`,
      [subscriptionId],
    );
    await client.query(
      `delete from users u where u.id = any($1::uuid[]) and not exists (select 1 from memberships m where m.user_id = u.id)`,
      [gone.map((g) => g.user_id)],
    );
    // The subscription's chain of the operation logs goes whole (its append-only triggers off for this only).
    await client.query(`set local session_replication_role = replica`);
    await client.query(`delete from operation_logs where chain = $1`, [subscriptionId]);
    await client.query(`delete from operation_log_heads where chain = $1`, [subscriptionId]);
    await client.query(`set local session_replication_role = origin`);
  });
}

/** `POST /_emulator/subscriptions`: a new subscription and its Owner, for one parallel test worker. */
export async function createSubscription(
  svc: Services,
  input: unknown,
): Promise<{ subscriptionId: string; email: string; password: string }> {
  const name = (input as { name?: unknown } | null)?.name;
  if (name !== undefined && (typeof name !== 'string' || name.trim().length === 0 || name.length > 100)) {
    throw new PortalError('invalid', 'name must be a text of 1 to 100 characters.');
  }
  const tag = randomBytes(4).toString('hex');
  const email = `worker-${tag}@emulator.localhost`;
  const password = `emulator-${randomBytes(9).toString('base64url')}`;
  const hash = await hashPassword(password);
  return withTransaction(svc.pool, async (_tx, client) => {
    const { rows: user } = await client.query<{ id: string }>(
      `insert into users (email, password_hash) values ($1, $2) returning id`,
      [email, hash],
    );
    const { rows: sub } = await client.query<{ id: string }>(
      `insert into subscriptions (display_name) values ($1) returning id`,
      [typeof name === 'string' ? name.trim() : `Worker ${tag}`],
    );
    await client.query(`insert into memberships (user_id, subscription_id, role) values ($1, $2, 'Owner')`, [
      user[0]!.id,
      sub[0]!.id,
    ]);
    return { subscriptionId: sub[0]!.id, email, password };
  });
}
