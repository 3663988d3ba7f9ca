import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { createVault } from './create';
import { deleteMessages, deleteVault } from './delete';
import { getVault, listVaults } from './queries';
import { messages } from './validation';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

async function vaultCount(subscriptionId: string) {
  const { rows } = await svc.pool.query('select count(*)::int as n from vaults where subscription_id = $1', [
    subscriptionId,
  ]);
  return rows[0].n as number;
}

describe('quick create', () => {
  it('creates a Creating vault with an in-flight operation and a queued job', async () => {
    const user = await createTestUser(svc);
    const result = await createVault(svc, user, { name: 'TestVault', region: 'westeurope' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const vault = await getVault(svc.db, user, result.data.vaultId);
    expect(vault).toMatchObject({ name: 'TestVault', region: 'westeurope', status: 'Creating' });
    const { rows } = await svc.pool.query('select status, progress, message, kind from operations where id = $1', [
      result.data.operationId,
    ]);
    expect(rows[0]).toEqual({
      status: 'InProgress',
      progress: 0,
      message: "Creating backup vault 'TestVault'...",
      kind: 'CreateVault',
    });
    const jobs = await svc.pool.query(`select data from pgboss.job where name = 'provision-vault'`);
    expect(jobs.rows.map((r) => r.data.operationId)).toContain(result.data.operationId);
  });

  it('refuses a bad name, a bad region and another subscription with messages, creating nothing', async () => {
    const user = await createTestUser(svc);
    const other = await createTestUser(svc);
    const subscriptionId = user.subscriptions[0]!.id;
    for (const name of ['a', '1vault', 'has space', 'under_score', 'x'.repeat(51), '']) {
      const result = await createVault(svc, user, { name, region: 'westus' });
      expect(result).toEqual({ ok: false, fieldErrors: { name: messages.name } });
    }
    expect(await createVault(svc, user, { name: 'good-name', region: 'moon' })).toMatchObject({
      ok: false,
      fieldErrors: { region: messages.region },
    });
    expect(
      await createVault(svc, user, { name: 'good-name', region: 'westus', subscriptionId: other.subscriptions[0]!.id }),
    ).toMatchObject({ ok: false, fieldErrors: { subscriptionId: messages.subscription } });
    expect(await vaultCount(subscriptionId)).toBe(0);
    expect(await vaultCount(other.subscriptions[0]!.id)).toBe(0);
  });

  it('accepts names of 2 and 50 characters with hyphens and digits', async () => {
    const user = await createTestUser(svc);
    expect((await createVault(svc, user, { name: 'ab', region: 'westus' })).ok).toBe(true);
    expect((await createVault(svc, user, { name: `a1-${'b'.repeat(47)}`, region: 'westus' })).ok).toBe(true);
  });

  it('refuses a duplicate name in another case, in the same subscription only', async () => {
    const user = await createTestUser(svc);
    const other = await createTestUser(svc);
    expect((await createVault(svc, user, { name: 'Backups', region: 'westus' })).ok).toBe(true);
    expect(await createVault(svc, user, { name: 'BACKUPS', region: 'eastus' })).toEqual({
      ok: false,
      fieldErrors: { name: messages.duplicate('BACKUPS') },
    });
    expect((await createVault(svc, other, { name: 'backups', region: 'westus' })).ok).toBe(true);
    expect(await vaultCount(user.subscriptions[0]!.id)).toBe(1);
  });

  it('gives one vault and nine clear messages for ten concurrent creates of one name', async () => {
    const user = await createTestUser(svc);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createVault(svc, user, { name: i % 2 ? 'RaceVault' : 'racevault', region: 'westus' }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(9);
    for (const r of refused)
      expect(r.ok ? '' : r.fieldErrors?.name).toMatch(
        /^A backup vault named '(RaceVault|racevault)' already exists in this subscription\.$/,
      );
    expect(await vaultCount(user.subscriptions[0]!.id)).toBe(1);
    const { rows } = await svc.pool.query('select count(*)::int as n from operations where user_id = $1', [user.id]);
    expect(rows[0].n).toBe(1);
  });

  it('holds 25 vaults per subscription, also when creates race', async () => {
    const user = await createTestUser(svc);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createVault(svc, user, { name: `vault-${i}`, region: 'westus' })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(25);
    for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, message: messages.limit });
    expect(await vaultCount(user.subscriptions[0]!.id)).toBe(25);
    expect(await createVault(svc, user, { name: 'vault-26th', region: 'westus' })).toEqual({
      ok: false,
      message: messages.limit,
    });
    expect(await vaultCount(user.subscriptions[0]!.id)).toBe(25);
  });

  it('keeps a vault in its subscription for ever', async () => {
    const user = await createTestUser(svc);
    const other = await createTestUser(svc);
    const created = await createVault(svc, user, { name: 'Pinned', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    await expect(
      svc.pool.query('update vaults set subscription_id = $1 where id = $2', [
        other.subscriptions[0]!.id,
        created.data.vaultId,
      ]),
    ).rejects.toThrow(/cannot move to another subscription/);
  });

  it('lets a Reader see but not create', async () => {
    const owner = await createTestUser(svc);
    const reader = await createTestUser(svc, { role: 'Reader', subscriptions: owner.subscriptions });
    const result = await createVault(svc, reader, { name: 'ReadOnly', region: 'westus' });
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/read access/) });
    expect(await vaultCount(owner.subscriptions[0]!.id)).toBe(0);
  });
});

describe('another subscription', () => {
  it('cannot see, list or delete the vault', async () => {
    const owner = await createTestUser(svc);
    const stranger = await createTestUser(svc);
    const created = await createVault(svc, owner, { name: 'Private', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    expect(await getVault(svc.db, stranger, created.data.vaultId)).toBeNull();
    expect((await listVaults(svc.db, stranger)).rows).toEqual([]);
    await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
    expect(await deleteVault(svc, stranger, { vaultId: created.data.vaultId, reason: 'Other' })).toEqual({
      ok: false,
      message: 'The backup vault was not found.',
    });
    expect((await getVault(svc.db, owner, created.data.vaultId))?.status).toBe('Active');
  });
});

describe('delete', () => {
  it('refuses while a server is registered or the vault is still creating, else marks it Deleting', async () => {
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: 'ToDelete', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    const vaultId = created.data.vaultId;
    expect(await deleteVault(svc, user, { vaultId, reason: 'Other' })).toEqual({
      ok: false,
      message: deleteMessages.busy('ToDelete'),
    });
    await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [vaultId]);
    await svc.pool.query(`insert into registered_servers (vault_id, name) values ($1, 'SERVER1')`, [vaultId]);
    expect(await deleteVault(svc, user, { vaultId, reason: 'Other' })).toEqual({
      ok: false,
      message: deleteMessages.registered,
    });
    expect((await getVault(svc.db, user, vaultId))?.status).toBe('Active');
    await svc.pool.query('delete from registered_servers where vault_id = $1', [vaultId]);
    expect(await deleteVault(svc, user, { vaultId, reason: 'bogus' })).toMatchObject({
      ok: false,
      message: 'Choose a reason.',
    });
    const result = await deleteVault(svc, user, { vaultId, reason: 'I created it by mistake' });
    expect(result.ok).toBe(true);
    expect((await getVault(svc.db, user, vaultId))?.status).toBe('Deleting');
  });
});

describe('lists', () => {
  it('pages by name with a keyset cursor, without repeats or gaps', async () => {
    const user = await createTestUser(svc);
    for (let i = 0; i < 7; i++)
      await createVault(svc, user, { name: `Page-${String.fromCharCode(103 - i)}`, region: 'westus' });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await listVaults(svc.db, user, { after, limit: 3 });
      seen.push(...page.rows.map((r) => r.name));
      after = page.next;
    } while (after);
    expect(seen).toEqual(['Page-a', 'Page-b', 'Page-c', 'Page-d', 'Page-e', 'Page-f', 'Page-g']);
    expect((await listVaults(svc.db, user, { after: 'garbage' })).rows).toHaveLength(7);
  });
});
