import type {
  LongTermRetentionPolicy,
  MabProtectionPolicy,
  SimpleSchedulePolicy,
} from '@azure/arm-recoveryservicesbackup';
import { describe, expect, it } from 'vitest';
import { listPolicies } from '@/lib/policies/policies';
import { createVault } from '@/lib/vaults/create';
import { armTestClient } from '@/testing/arm';
import { all, sdkTestServer } from '@/testing/arm-sdk';

// The backup SDK's backupPolicies, protectionPolicies and jobCancellations against the API's handler on a local HTTP
// server: its models' mappers must read what the API answers, and the API must take what the SDK sends.
const sdk = sdkTestServer();
const { backupClient } = sdk;

const RG = 'rg-policies';

async function vaultFor(name: string) {
  const me = await armTestClient(sdk.svc).caller();
  const created = await createVault(sdk.svc, me.user, { name, region: 'westus', resourceGroup: RG });
  if (!created.ok) throw new Error('create failed');
  await sdk.svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return { me, vaultId: created.data.vaultId, client: backupClient(me.token, me.sub) };
}

describe('@azure/arm-recoveryservicesbackup 12 on policies and job cancellation', () => {
  it('lists, creates, reads, changes and deletes policies in the MabProtectionPolicy shape', async () => {
    const { client, me } = await vaultFor('SdkPolicies');
    const [initial] = await all(client.backupPolicies.list('SdkPolicies', RG));
    expect(initial?.name).toBe('DefaultPolicy');
    const properties = initial!.properties as MabProtectionPolicy;
    expect(properties.backupManagementType).toBe('MAB');
    expect(properties.protectedItemsCount).toBe(0);
    const schedule = properties.schedulePolicy as SimpleSchedulePolicy;
    expect(schedule.scheduleRunFrequency).toBe('Daily');
    expect(schedule.scheduleRunTimes?.map((t) => t.toISOString().slice(11, 16))).toEqual(['22:00']);
    const retention = properties.retentionPolicy as LongTermRetentionPolicy;
    expect(retention.dailySchedule?.retentionDuration).toEqual({ count: 30, durationType: 'Days' });
    expect(retention.weeklySchedule).toBeUndefined();

    const weekly: MabProtectionPolicy = {
      backupManagementType: 'MAB',
      schedulePolicy: {
        schedulePolicyType: 'SimpleSchedulePolicy',
        scheduleRunFrequency: 'Weekly',
        scheduleRunDays: ['Sunday', 'Wednesday'],
        scheduleRunTimes: [new Date('2020-01-01T02:30:00Z')],
      } as SimpleSchedulePolicy,
      retentionPolicy: {
        retentionPolicyType: 'LongTermRetentionPolicy',
        weeklySchedule: {
          daysOfTheWeek: ['Sunday'],
          retentionTimes: [new Date('2020-01-01T02:30:00Z')],
          retentionDuration: { count: 12, durationType: 'Weeks' },
        },
        monthlySchedule: {
          retentionScheduleFormatType: 'Daily',
          retentionScheduleDaily: { daysOfTheMonth: [{ date: 0, isLast: true }] },
          retentionTimes: [new Date('2020-01-01T02:30:00Z')],
          retentionDuration: { count: 6, durationType: 'Months' },
        },
      } as LongTermRetentionPolicy,
    };
    const made = await client.protectionPolicies.createOrUpdate('SdkPolicies', RG, 'Weekly-Policy', {
      properties: weekly,
    });
    expect(made.name).toBe('Weekly-Policy');
    const madeSchedule = (made.properties as MabProtectionPolicy).schedulePolicy as SimpleSchedulePolicy;
    expect(madeSchedule.scheduleRunDays).toEqual(['Sunday', 'Wednesday']);
    const vault = (await sdk.svc.pool.query('select id from vaults where name = $1', ['SdkPolicies'])).rows[0];
    const portal = await listPolicies(sdk.svc.db, vault.id);
    expect(portal.find((p) => p.name === 'Weekly-Policy')).toMatchObject({
      schedule: { frequency: 'Weekly', days: [0, 3], times: [150] },
      retention: { dailyDays: null, weeklyWeeks: 12, monthlyMonths: 6, yearlyYears: null },
    });

    const got = await client.protectionPolicies.get('SdkPolicies', RG, 'weekly-policy');
    const gotRetention = (got.properties as MabProtectionPolicy).retentionPolicy as LongTermRetentionPolicy;
    expect(gotRetention.monthlySchedule?.retentionDuration).toEqual({ count: 6, durationType: 'Months' });

    // A change keeps the name and replaces schedule and retention.
    const daily = {
      ...weekly,
      schedulePolicy: {
        ...weekly.schedulePolicy,
        scheduleRunFrequency: 'Daily',
        scheduleRunDays: undefined,
      } as SimpleSchedulePolicy,
      retentionPolicy: {
        retentionPolicyType: 'LongTermRetentionPolicy',
        dailySchedule: {
          retentionTimes: [new Date('2020-01-01T02:30:00Z')],
          retentionDuration: { count: 7, durationType: 'Days' },
        },
      } as LongTermRetentionPolicy,
    };
    await client.protectionPolicies.createOrUpdate('SdkPolicies', RG, 'Weekly-Policy', { properties: daily });
    expect(
      (await listPolicies(sdk.svc.db, vault.id)).find((p) => p.name === 'Weekly-Policy')?.retention.dailyDays,
    ).toBe(7);

    await expect(
      client.protectionPolicies.createOrUpdate('SdkPolicies', RG, 'x', { properties: weekly }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message:
        'Type a policy name that contains between 3 and 150 characters. It must start with a letter, end with a letter or number, and can contain only letters, numbers, and hyphens.',
    });
    const tooLong = {
      ...daily,
      retentionPolicy: {
        retentionPolicyType: 'LongTermRetentionPolicy',
        dailySchedule: { retentionDuration: { count: 400, durationType: 'Days' } },
      } as LongTermRetentionPolicy,
    };
    await expect(
      client.protectionPolicies.createOrUpdate('SdkPolicies', RG, 'Long', { properties: tooLong }),
    ).rejects.toMatchObject({ statusCode: 400, message: 'Keep daily backup points for between 1 and 366 days.' });

    await expect(
      client.protectionPolicies.beginDeleteAndWait('SdkPolicies', RG, 'DefaultPolicy'),
    ).rejects.toMatchObject({
      statusCode: 409,
      message: 'DefaultPolicy cannot be deleted: newly protected items follow it.',
    });
    await client.protectionPolicies.beginDeleteAndWait('SdkPolicies', RG, 'Weekly-Policy');
    await expect(client.protectionPolicies.get('SdkPolicies', RG, 'Weekly-Policy')).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(me.sub).toBeTruthy();
  });

  it('cancels a running backup job, and refuses one that cannot be cancelled with the classic message', async () => {
    const { client, me, vaultId } = await vaultFor('SdkCancel');
    const q = async (text: string, values: unknown[]) => (await sdk.svc.pool.query(text, values)).rows[0];
    await q(`update vaults set status = 'Active' where id = $1`, [vaultId]);
    const srv = await q(`insert into registered_servers (vault_id, name) values ($1, 'db01') returning id`, [vaultId]);
    const key = await q(
      `insert into backup_keys (vault_id, server_id, wrapped_key) values ($1, $2, '{}') returning id`,
      [vaultId, srv.id],
    );
    const item = await q(
      `insert into protected_items (vault_id, server_id, path) values ($1, $2, '/data') returning id`,
      [vaultId, srv.id],
    );
    const job = await q(
      `insert into operations (subscription_id, vault_id, vault_name, kind, message, item_id, item_name, server_id,
         server_name, bytes_total, bytes_done, files_total, files_done)
       values ($1, $2, 'SdkCancel', 'Backup', 'Backing up', $3, '/data', $4, 'db01', 100, 10, 1, 0) returning id`,
      [me.sub, vaultId, item.id, srv.id],
    );
    const session = await q(
      `insert into backup_sessions (item_id, key_id, operation_id, token_hash) values ($1, $2, $3, 'x') returning id`,
      [item.id, key.id, job.id],
    );
    await client.jobCancellations.trigger('SdkCancel', RG, job.id);
    expect(await q('select running from backup_sessions where id = $1', [session.id])).toEqual({ running: false });
    const cancelled = await client.jobDetails.get('SdkCancel', RG, job.id);
    expect(cancelled.properties?.status).toBe('Cancelled');
    await expect(client.jobCancellations.trigger('SdkCancel', RG, job.id)).rejects.toMatchObject({
      statusCode: 409,
      message: 'The job is not in a cancelable state - Please wait until the job completes.',
    });
    await expect(
      client.jobCancellations.trigger('SdkCancel', RG, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});
