import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { createVault } from './create';
import { getVault } from './queries';
import { saveStorageReplication } from './redundancy';
import { vaultUsage } from './usage';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

async function newVault() {
  const user = await createTestUser(svc);
  const created = await createVault(svc, user, { name: `cfg-${Date.now()}`, region: 'westus' });
  if (!created.ok) throw new Error('create failed');
  await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return { user, vaultId: created.data.vaultId };
}

describe('storage replication', () => {
  it('defaults to Geo-Redundant, saves Locally Redundant, and tells the user', async () => {
    const { user, vaultId } = await newVault();
    expect((await getVault(svc.db, user, vaultId))?.storageReplication).toBe('GeoRedundant');
    expect(await saveStorageReplication(svc, user, { vaultId, storageReplication: 'LocallyRedundant' })).toEqual({
      ok: true,
      data: { storageReplication: 'LocallyRedundant' },
    });
    expect((await getVault(svc.db, user, vaultId))?.storageReplication).toBe('LocallyRedundant');
    const { rows } = await svc.pool.query(
      `select status, message from operations where vault_id = $1 and kind = 'ConfigureVault'`,
      [vaultId],
    );
    expect(rows).toEqual([{ status: 'Succeeded', message: expect.stringMatching(/is now Locally Redundant\.$/) }]);
  });

  it('refuses a change to a locked vault with the exact message, whatever request arrives', async () => {
    const { user, vaultId } = await newVault();
    await svc.pool.query('update vaults set replication_locked = true where id = $1', [vaultId]);
    expect(await saveStorageReplication(svc, user, { vaultId, storageReplication: 'LocallyRedundant' })).toEqual({
      ok: false,
      message: 'Storage replication cannot be changed: an item is registered to this vault.',
    });
    await expect(
      svc.pool.query(`update vaults set storage_replication = 'LocallyRedundant' where id = $1`, [vaultId]),
    ).rejects.toThrow(/storage replication is locked/);
    await expect(
      svc.pool.query('update vaults set replication_locked = false where id = $1', [vaultId]),
    ).rejects.toThrow(/cannot be removed/);
    expect((await getVault(svc.db, user, vaultId))?.storageReplication).toBe('GeoRedundant');
  });

  it('refuses bad values, readers and strangers', async () => {
    const { user, vaultId } = await newVault();
    expect(await saveStorageReplication(svc, user, { vaultId, storageReplication: 'ZoneRedundant' })).toMatchObject({
      ok: false,
    });
    const reader = await createTestUser(svc, { role: 'Reader', subscriptions: user.subscriptions });
    expect(
      await saveStorageReplication(svc, reader, { vaultId, storageReplication: 'LocallyRedundant' }),
    ).toMatchObject({
      ok: false,
      message: expect.stringMatching(/read access/),
    });
    const stranger = await createTestUser(svc);
    expect(await saveStorageReplication(svc, stranger, { vaultId, storageReplication: 'LocallyRedundant' })).toEqual({
      ok: false,
      message: 'The backup vault was not found.',
    });
    expect((await getVault(svc.db, user, vaultId))?.storageReplication).toBe('GeoRedundant');
  });
});

describe('usage overview', () => {
  it('counts servers, items, storage and the last 24 hours of jobs from the database', async () => {
    const { vaultId } = await newVault();
    const { rows: servers } = await svc.pool.query<{ id: string }>(
      `insert into registered_servers (vault_id, name) values ($1, 'A'), ($1, 'B') returning id`,
      [vaultId],
    );
    for (const [index, server] of servers.entries()) {
      await svc.pool.query(
        `insert into protected_items (vault_id, server_id, path) select $1, $2, p from unnest($3::text[]) p`,
        [vaultId, server.id, index === 0 ? ['/a', '/b', '/c'] : ['/d', '/e']],
      );
      const { rows: keys } = await svc.pool.query<{ id: string }>(
        `insert into backup_keys (vault_id, server_id, wrapped_key) values ($1, $2, '{}') returning id`,
        [vaultId, server.id],
      );
      await svc.pool.query(
        `insert into backup_objects (key_id, id, size) select $1, lpad(to_hex(n), 64, '0'), $2 from generate_series(1, 4) n`,
        [keys[0]!.id, index === 0 ? 268435456 : 256],
      );
    }
    await svc.pool.query(
      `insert into operations (subscription_id, vault_id, vault_name, kind, status, message, started_at)
       select subscription_id, id, name, 'Register', s.status::operation_status, 'm', s.at
       from vaults, (values ('Failed', now()), ('InProgress', now()), ('Succeeded', now() - interval '2 days')) s(status, at)
       where id = $1`,
      [vaultId],
    );
    const usage = await vaultUsage(svc.db, vaultId);
    // The CreateVault operation of newVault() is in progress too.
    expect(usage).toEqual({
      registeredServers: 2,
      protectedItems: 5,
      storageUsedBytes: 1073742848,
      jobs: { succeeded: 0, failed: 1, inProgress: 2 },
    });
  });
});
