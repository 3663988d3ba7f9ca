import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVault } from '@/lib/vaults/create';
import { armTestClient } from '@/testing/arm';
import { all, sdkTestServer } from '@/testing/arm-sdk';

// The backup SDK against the API's handler on a local HTTP server: its models' mappers (polymorphic on jobType,
// protectedItemType and objectType) must read what the API answers. The full portal is driven in e2e/arm.spec.ts.
const sdk = sdkTestServer();
const { backupClient } = sdk;

describe('@azure/arm-recoveryservicesbackup 12 on the backup resources', () => {
  it('reads jobs, protected items and recovery points into its models', async () => {
    const me = await armTestClient(sdk.svc).caller();
    const created = await createVault(sdk.svc, me.user, { name: 'SdkBackups', region: 'westus', resourceGroup: 'rg1' });
    if (!created.ok) throw new Error('create failed');
    const vaultId = created.data.vaultId;
    const q = async (text: string, values: unknown[]) => (await sdk.svc.pool.query(text, values)).rows[0];
    await q(`update vaults set status = 'Active' where id = $1`, [vaultId]);
    const srv = await q(`insert into registered_servers (vault_id, name) values ($1, 'db01') returning id`, [vaultId]);
    const key = await q(
      `insert into backup_keys (vault_id, server_id, wrapped_key) values ($1, $2, '{}') returning id`,
      [vaultId, srv.id],
    );
    const item = await q(
      `insert into protected_items (vault_id, server_id, path, status, last_backup_status)
       values ($1, $2, '/srv/data', 'Protected', 'Completed') returning id`,
      [vaultId, srv.id],
    );
    const root = randomBytes(32).toString('hex');
    await q(`insert into backup_objects (key_id, id, size) values ($1, $2, 10)`, [key.id, root]);
    const point = await q(
      `insert into recovery_points (vault_id, item_id, key_id, root_id, taken_at, files, folders, bytes)
       values ($1, $2, $3, $4, '2026-11-21T22:00:00Z', 1, 0, 10) returning id`,
      [vaultId, item.id, key.id, root],
    );
    await q(
      `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, status, message, item_name, server_name)
       values ($1, $2, $3, 'SdkBackups', 'Backup', 'InProgress', 'Backing up', '/srv/data', 'db01')`,
      [me.user.id, me.sub, vaultId],
    );

    const client = backupClient(me.token, me.sub);
    const jobs = await all(client.backupJobs.list('SdkBackups', 'rg1', { filter: "status eq 'InProgress'" }));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.properties).toMatchObject({
      jobType: 'MabJob',
      operation: 'Backup',
      status: 'InProgress',
      mabServerName: 'db01',
      entityFriendlyName: '/srv/data',
    });
    expect(jobs[0]!.properties!.startTime).toBeInstanceOf(Date);

    const items = await all(client.backupProtectedItems.list('SdkBackups', 'rg1'));
    expect(items).toHaveLength(1);
    expect(items[0]!.properties).toMatchObject({
      protectedItemType: 'MabFileFolderProtectedItem',
      friendlyName: '/srv/data',
      computerName: 'db01',
      protectionState: 'Protected',
      extendedInfo: { recoveryPointCount: 1 },
    });

    const points = await all(client.recoveryPoints.list('SdkBackups', 'rg1', 'Azure', 'Windows;db01', items[0]!.name!));
    expect(points.map((p) => p.name)).toEqual([point.id]);
    expect(points[0]!.properties).toMatchObject({ objectType: 'GenericRecoveryPoint' });
    const one = await client.recoveryPoints.get(
      'SdkBackups',
      'rg1',
      'Azure',
      'Windows;db01',
      items[0]!.name!,
      point.id,
    );
    expect(one.properties).toMatchObject({ recoveryPointTime: new Date('2026-11-21T22:00:00Z') });

    // A server is registered, so the storage type is locked (the database set the lock when the server row appeared).
    await expect(
      client.backupResourceStorageConfigsNonCRR.patch('SdkBackups', 'rg1', {
        properties: { storageType: 'LocallyRedundant' },
      }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'StorageTypeLocked' });
    const config = await client.backupResourceStorageConfigsNonCRR.get('SdkBackups', 'rg1');
    expect(config.properties).toMatchObject({ storageType: 'GeoRedundant', storageTypeState: 'Locked' });
  });
});
