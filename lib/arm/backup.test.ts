import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVault } from '@/lib/vaults/create';
import { armTestClient, vaultUrl } from '@/testing/arm';
import { type TestServices, testServices } from '@/testing/services';

let svc: TestServices;
let client: ReturnType<typeof armTestClient>;
beforeAll(async () => {
  svc = await testServices();
  client = armTestClient(svc);
});
afterAll(() => svc.close());

const RG = 'Default-RecoveryServices-ResourceGroup';

/** A vault with one server, one protected folder and two recovery points, and its backup jobs, as the agent leaves them. */
async function vaultWithBackups(sub: string, userId: string) {
  const user = { id: userId, email: 'x', subscriptions: [{ id: sub, displayName: 'x', role: 'Owner' as const }] };
  const created = await createVault(svc, user, { name: 'Backed', region: 'westus' });
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
    `insert into protected_items (vault_id, server_id, path, status, last_backup_status, last_backup_at)
     values ($1, $2, 'C:\\Data', 'Protected', 'Completed', now()) returning id`,
    [vaultId, server.id],
  );
  const points: string[] = [];
  for (const takenAt of ['2026-11-20T22:00:00Z', '2026-11-21T22:00:00Z']) {
    const root = randomBytes(32).toString('hex');
    await q(`insert into backup_objects (key_id, id, size) values ($1, $2, 100)`, [key.id, root]);
    const point = await q(
      `insert into recovery_points (vault_id, item_id, key_id, root_id, taken_at, files, folders, bytes)
       values ($1, $2, $3, $4, $5, 3, 1, 1234) returning id`,
      [vaultId, item.id, key.id, root, takenAt],
    );
    points.push(point.id);
  }
  const job = (kind: string, status: string, startedAt: string) =>
    q(
      `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, status, message, started_at,
         ended_at, item_id, item_name, server_id, server_name, data_transferred)
       values ($1, $2, $3, 'Backed', $4::operation_kind, $5::operation_status, 'Backup of C:\\Data', $6, case when $5::text = 'InProgress' then null else $6::timestamptz + interval '1 minute' end,
         $7, 'C:\\Data', $8, 'web01', 2048) returning id`,
      [userId, sub, vaultId, kind, status, startedAt, item.id, server.id],
    );
  const done = await job('Backup', 'Succeeded', '2026-11-21T22:00:00Z');
  const running = await job('Backup', 'InProgress', '2026-11-22T22:00:00Z');
  const restore = await job('Restore', 'Failed', '2026-11-22T10:00:00Z');
  return { itemId: item.id as string, points, jobs: { done: done.id, running: running.id, restore: restore.id } };
}

describe('the ARM API on backups', () => {
  it('lists backup jobs with filters on status, operation and time, and gets one', async () => {
    const me = await client.caller();
    const { jobs } = await vaultWithBackups(me.sub, me.user.id);
    const list = async (filter?: string) => {
      const url = vaultUrl(me.sub, RG, 'Backed', '/backupJobs').replace('2024-04-01', '2023-06-01');
      const answer = await client.call('GET', filter ? `${url}&$filter=${encodeURIComponent(filter)}` : url, {
        token: me.token,
      });
      expect(answer.status).toBe(200);
      return answer.body.value as { name: string; properties: Record<string, unknown> }[];
    };
    // The vault's creation is an operation but not a backup job.
    expect((await list()).map((j) => j.name)).toEqual([jobs.running, jobs.restore, jobs.done]);
    expect((await list("status eq 'InProgress'")).map((j) => j.name)).toEqual([jobs.running]);
    expect((await list("operation eq 'Restore' and status eq 'Failed'")).map((j) => j.name)).toEqual([jobs.restore]);
    expect(
      (await list("startTime eq '2026-11-22 12:00:00 AM' and endTime eq '2026-11-22 11:00:00 PM'")).map((j) => j.name),
    ).toEqual([jobs.running, jobs.restore]);
    expect(await list("backupManagementType eq 'AzureIaasVM'")).toEqual([]);

    const one = await client.call('GET', vaultUrl(me.sub, RG, 'Backed', `/backupJobs/${jobs.done}`), {
      token: me.token,
    });
    expect(one.body.properties).toMatchObject({
      jobType: 'MabJob',
      operation: 'Backup',
      status: 'Completed',
      entityFriendlyName: 'C:\\Data',
      mabServerName: 'web01',
      startTime: '2026-11-21T22:00:00.000Z',
      endTime: '2026-11-21T22:01:00.000Z',
      duration: 'PT60.000S',
    });
    const bad = await client.call('GET', `${vaultUrl(me.sub, RG, 'Backed', '/backupJobs')}&$filter=nonsense`, {
      token: me.token,
    });
    expect(bad.status).toBe(400);
  });

  it('lists protected items and their recovery points in the SDK models’ shapes', async () => {
    const me = await client.caller();
    const { itemId, points } = await vaultWithBackups(me.sub, me.user.id);
    const items = await client.call('GET', vaultUrl(me.sub, RG, 'Backed', '/backupProtectedItems'), {
      token: me.token,
    });
    expect(items.body.value).toHaveLength(1);
    const item = items.body.value[0];
    expect(item).toMatchObject({
      name: `FileFolder;${itemId}`,
      properties: {
        protectedItemType: 'MabFileFolderProtectedItem',
        friendlyName: 'C:\\Data',
        computerName: 'web01',
        protectionState: 'Protected',
        lastBackupStatus: 'Completed',
        lastRecoveryPoint: '2026-11-21T22:00:00.000Z',
        extendedInfo: { recoveryPointCount: 2 },
      },
    });

    // The SDK builds the item's path from its names, each segment URI-encoded (";" as %3B).
    const itemPath = `/backupFabrics/Azure/protectionContainers/${encodeURIComponent('Windows;web01')}/protectedItems/${encodeURIComponent(item.name)}`;
    expect((await client.call('GET', vaultUrl(me.sub, RG, 'Backed', itemPath), { token: me.token })).body.id).toBe(
      item.id,
    );
    const listed = await client.call('GET', vaultUrl(me.sub, RG, 'Backed', `${itemPath}/recoveryPoints`), {
      token: me.token,
    });
    expect(listed.body.value.map((p: { name: string }) => p.name)).toEqual([points[1], points[0]]);
    const point = await client.call('GET', vaultUrl(me.sub, RG, 'Backed', `${itemPath}/recoveryPoints/${points[0]}`), {
      token: me.token,
    });
    expect(point.body.properties).toEqual({
      objectType: 'GenericRecoveryPoint',
      friendlyName: '2026-11-20T22:00:00.000Z',
      recoveryPointType: 'FileSystemConsistent',
      recoveryPointTime: '2026-11-20T22:00:00.000Z',
      recoveryPointAdditionalInfo: '3 files, 1 folders, 1234 bytes',
    });

    const stranger = await client.caller();
    const theirs = await client.call('GET', vaultUrl(me.sub, RG, 'Backed', `${itemPath}/recoveryPoints`), {
      token: stranger.token,
    });
    expect(theirs.status).toBe(404);
    const otherContainer = itemPath.replace('web01', 'web02');
    expect((await client.call('GET', vaultUrl(me.sub, RG, 'Backed', otherContainer), { token: me.token })).status).toBe(
      404,
    );
  });
});
