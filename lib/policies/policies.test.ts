import { randomBytes } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@/db/client';
import { migrateDatabase, migrationsFolder } from '@/db/migrate';
import { createVault } from '@/lib/vaults/create';
import { freshDatabase } from '@/testing/db';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { assignPolicy, createPolicy, deletePolicy, listPolicies, updatePolicy } from './policies';
import { previewPolicy } from './preview';
import { policyMessages } from './validation';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const DAILY = {
  frequency: 'Daily',
  days: [],
  times: [22 * 60],
  dailyDays: 30,
  weeklyWeeks: null,
  monthlyMonths: null,
  yearlyYears: null,
};

async function vaultWithItem() {
  const user = await createTestUser(svc);
  const created = await createVault(svc, user, { name: `p-${randomBytes(4).toString('hex')}`, region: 'westus' });
  if (!created.ok) throw new Error('create failed');
  const vaultId = created.data.vaultId;
  const q = async (text: string, values: unknown[]) => (await svc.pool.query(text, values)).rows[0];
  // Servers register only to an Active vault (a rule of the database).
  await q(`update vaults set status = 'Active' where id = $1`, [vaultId]);
  const server = await q(`insert into registered_servers (vault_id, name) values ($1, 'web01') returning id`, [
    vaultId,
  ]);
  const key = await q(`insert into backup_keys (vault_id, server_id, wrapped_key) values ($1, $2, '{}') returning id`, [
    vaultId,
    server.id,
  ]);
  const item = await q(
    `insert into protected_items (vault_id, server_id, path, status) values ($1, $2, '/srv/data', 'Protected') returning id`,
    [vaultId, server.id],
  );
  /** A recovery point taken `daysAgo` days ago (at 22:00 UTC). */
  const point = async (daysAgo: number) => {
    const root = randomBytes(32).toString('hex');
    await q(`insert into backup_objects (key_id, id, size) values ($1, $2, 100)`, [key.id, root]);
    // An hour less than whole days ago, whatever the time of day: a point a whole number of days old sits on the
    // retention's cutoff (setting it to the schedule's 22:00 instead made the test fail from 22:00 to midnight UTC).
    const day = new Date(Date.now() - daysAgo * 86_400_000 + 3_600_000);
    await q(
      `insert into recovery_points (vault_id, item_id, key_id, root_id, taken_at, files, folders, bytes)
       values ($1, $2, $3, $4, $5, 1, 1, 100)`,
      [vaultId, item.id, key.id, root, day],
    );
  };
  return { user, vaultId, itemId: item.id as string, point };
}

describe('policies', () => {
  it('every new vault has DefaultPolicy (daily at 22:00 UTC, daily points kept 30 days), which new items follow', async () => {
    const { vaultId, itemId } = await vaultWithItem();
    const policies = await listPolicies(svc.db, vaultId);
    expect(policies).toEqual([
      {
        id: expect.any(String),
        name: 'DefaultPolicy',
        schedule: { frequency: 'Daily', days: [], times: [1320] },
        retention: { dailyDays: 30, weeklyWeeks: null, monthlyMonths: null, yearlyYears: null },
        items: 1,
        isDefault: true,
      },
    ]);
    const { rows } = await svc.pool.query('select policy_id from protected_items where id = $1', [itemId]);
    expect(rows[0].policy_id).toBe(policies[0]!.id);
  });

  it('refuses bad names with the exact message, duplicates in any case, and out-of-range values naming their range', async () => {
    const { user, vaultId } = await vaultWithItem();
    for (const name of ['ab', '1policy', 'ends-with-', 'has space', 'under_score', 'x'.repeat(151)]) {
      expect(await createPolicy(svc, user, { vaultId, ...DAILY, name })).toEqual({
        ok: false,
        fieldErrors: { name: policyMessages.name },
      });
    }
    expect(policyMessages.name).toBe(
      'Type a policy name that contains between 3 and 150 characters. It must start with a letter, end with a letter or number, and can contain only letters, numbers, and hyphens.',
    );
    expect(await createPolicy(svc, user, { vaultId, ...DAILY, name: 'defaultpolicy' })).toEqual({
      ok: false,
      fieldErrors: { name: "A policy named 'defaultpolicy' already exists in this vault." },
    });
    const ranges = {
      dailyDays: [0, 367, 'Keep daily backup points for between 1 and 366 days.'],
      weeklyWeeks: [0, 261, 'Keep weekly backup points for between 1 and 260 weeks.'],
      monthlyMonths: [0, 121, 'Keep monthly backup points for between 1 and 120 months.'],
      yearlyYears: [0, 100, 'Keep yearly backup points for between 1 and 99 years.'],
    } as const;
    for (const [field, [low, high, message]] of Object.entries(ranges)) {
      for (const value of [low, high, 2.5]) {
        const result = await createPolicy(svc, user, { vaultId, ...DAILY, name: 'Ranges', [field]: value });
        expect(result).toEqual({ ok: false, fieldErrors: { [field]: message } });
      }
    }
    expect(await createPolicy(svc, user, { vaultId, ...DAILY, name: 'Often', times: [0, 30, 60, 90] })).toMatchObject({
      fieldErrors: { times: 'Choose between 1 and 3 backup times a day.' },
    });
    expect(await createPolicy(svc, user, { vaultId, ...DAILY, name: 'Odd', times: [15] })).toMatchObject({
      fieldErrors: { times: 'Backup times are on the hour or the half hour (UTC).' },
    });
    expect(
      await createPolicy(svc, user, {
        vaultId,
        ...DAILY,
        name: 'NoDays',
        frequency: 'Weekly',
        dailyDays: null,
        weeklyWeeks: 4,
      }),
    ).toMatchObject({ fieldErrors: { days: 'Choose at least one day of the week for a weekly schedule.' } });

    const made = await createPolicy(svc, user, {
      vaultId,
      name: 'Weekly-Long-Term',
      frequency: 'Weekly',
      days: [6, 0],
      times: [90, 23 * 60 + 30, 12 * 60],
      dailyDays: null,
      weeklyWeeks: 260,
      monthlyMonths: 120,
      yearlyYears: 99,
    });
    expect(made).toMatchObject({ ok: true, message: "The policy 'Weekly-Long-Term' has been created." });
    const policy = (await listPolicies(svc.db, vaultId)).find((p) => p.name === 'Weekly-Long-Term');
    expect(policy?.schedule).toEqual({ frequency: 'Weekly', days: [0, 6], times: [90, 720, 1410] });
  });

  it('deletes a policy only when no item follows it, and never DefaultPolicy', async () => {
    const { user, vaultId, itemId } = await vaultWithItem();
    const made = await createPolicy(svc, user, { vaultId, ...DAILY, name: 'Short', dailyDays: 7 });
    if (!made.ok) throw new Error('create failed');
    const policyId = made.data.policyId;
    const defaultId = (await listPolicies(svc.db, vaultId)).find((p) => p.isDefault)!.id;
    expect(await deletePolicy(svc, user, { vaultId, policyId: defaultId })).toEqual({
      ok: false,
      message: 'DefaultPolicy cannot be deleted: newly protected items follow it.',
    });
    expect(await assignPolicy(svc, user, { itemId, policyId })).toMatchObject({ ok: true });
    expect(await deletePolicy(svc, user, { vaultId, policyId })).toEqual({
      ok: false,
      message:
        "The policy 'Short' cannot be deleted while 1 protected item follows it. Choose another policy for it in PROTECTED ITEMS first.",
    });
    // The database refuses it too, whatever the application checked.
    await expect(svc.pool.query('delete from backup_policies where id = $1', [policyId])).rejects.toThrow(
      /foreign key/,
    );
    expect(await assignPolicy(svc, user, { itemId, policyId: defaultId })).toMatchObject({ ok: true });
    expect(await deletePolicy(svc, user, { vaultId, policyId })).toMatchObject({ ok: true });
    expect((await listPolicies(svc.db, vaultId)).map((p) => p.name)).toEqual(['DefaultPolicy']);

    const reader = { ...user, subscriptions: user.subscriptions.map((s) => ({ ...s, role: 'Reader' as const })) };
    expect(await createPolicy(svc, reader, { vaultId, ...DAILY, name: 'Nope' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/read access/),
    });
    const stranger = await createTestUser(svc);
    expect(await updatePolicy(svc, stranger, { vaultId, policyId: defaultId, ...DAILY })).toMatchObject({
      ok: false,
      message: 'The backup vault was not found.',
    });
  });

  it('previews, per item, the points a retention keeps and deletes, before anything is saved', async () => {
    const { user, vaultId, itemId, point } = await vaultWithItem();
    for (let daysAgo = 0; daysAgo < 40; daysAgo++) await point(daysAgo + 1);
    const defaultId = (await listPolicies(svc.db, vaultId)).find((p) => p.isDefault)!.id;
    const preview = await previewPolicy(svc, user, { vaultId, policyId: defaultId, ...DAILY, dailyDays: 10 });
    expect(preview).toEqual({
      ok: true,
      data: {
        rows: [{ itemId, name: '/srv/data', server: 'web01', points: 40, kept: 10, deleted: 30, stopped: false }],
      },
    });
    // Nothing changed by looking.
    const { rows } = await svc.pool.query('select count(*)::int as n from recovery_points where item_id = $1', [
      itemId,
    ]);
    expect(rows[0].n).toBe(40);
    expect(await previewPolicy(svc, user, { vaultId, ...DAILY, dailyDays: 400 })).toEqual({
      ok: false,
      fieldErrors: { dailyDays: 'Keep daily backup points for between 1 and 366 days.' },
    });
  });
});

describe('the migration', () => {
  it('gives vaults made before policies their DefaultPolicy, and their items follow it', async () => {
    // A database migrated only up to the migration before policies, with a vault, a server and an item.
    const old = await freshDatabase();
    const folder = path.join(os.tmpdir(), `migrations-${randomBytes(4).toString('hex')}`);
    try {
      await old.pool.query('drop schema public cascade; create schema public; drop schema if exists drizzle cascade');
      await cp(migrationsFolder, folder, { recursive: true });
      const journalPath = path.join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8'));
      const index = journal.entries.findIndex((e: { tag: string }) => e.tag === '0007_policies');
      journal.entries = journal.entries.slice(0, index);
      await writeFile(journalPath, JSON.stringify(journal));
      const { db, pool } = createDatabase(old.url, 1);
      await migrate(db, { migrationsFolder: folder });
      await pool.end();
      const q = async (text: string, values: unknown[] = []) => (await old.pool.query(text, values)).rows;
      const [sub] = await q(`insert into subscriptions (display_name) values ('Old') returning id`);
      const [vault] = await q(
        `insert into vaults (subscription_id, name, region) values ($1, 'OldVault', 'westus') returning id`,
        [sub.id],
      );
      const [server] = await q(`insert into registered_servers (vault_id, name) values ($1, 'old01') returning id`, [
        vault.id,
      ]);
      await q(`insert into protected_items (vault_id, server_id, path) values ($1, $2, '/old')`, [vault.id, server.id]);

      await migrateDatabase(old.url);
      const policies = await q(
        'select id, name, frequency, run_times, daily_days from backup_policies where vault_id = $1',
        [vault.id],
      );
      expect(policies).toEqual([
        { id: expect.any(String), name: 'DefaultPolicy', frequency: 'Daily', run_times: [1320], daily_days: 30 },
      ]);
      const items = await q('select policy_id from protected_items where vault_id = $1', [vault.id]);
      expect(items).toEqual([{ policy_id: policies[0].id }]);
    } finally {
      await old.close();
    }
  });
});
