import { beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '@/lib/tokens/tokens';
import { createVault } from '@/lib/vaults/create';
import { startOperationWorkers } from '@/server/worker';
import { armTestClient, type Caller, vaultUrl } from '@/testing/arm';
import { all, sdkTestServer } from '@/testing/arm-sdk';
import { createTestUser } from '@/testing/services';

// A vault's properties.monitoringSettings on its alert columns: alertsForAllJobFailures is alert_job_failures,
// alertsForCriticalOperations is Critical among alert_severities. Raw requests first, then the unmodified vaults SDK.
const sdk = sdkTestServer();
let client: ReturnType<typeof armTestClient>;

beforeAll(async () => {
  await startOperationWorkers(sdk.svc);
  client = armTestClient(sdk.svc);
});

const RG = 'Default-RecoveryServices-ResourceGroup';

const settings = (jobFailures: string, critical: string) => ({
  azureMonitorAlertSettings: { alertsForAllJobFailures: jobFailures },
  classicAlertSettings: { alertsForCriticalOperations: critical },
});

async function activeVault(me: Caller, name: string): Promise<string> {
  const created = await createVault(sdk.svc, me.user, { name, region: 'westus' });
  if (!created.ok) throw new Error('create failed');
  await client.pollUntilDone(vaultUrl(me.sub, RG, name, `/operationStatus/${created.data.operationId}`), me.token);
  return created.data.vaultId;
}

async function columns(vaultId: string) {
  const { rows } = await sdk.svc.pool.query(
    `select alert_job_failures as "jobFailures", alert_severities::text[] as severities, tags,
       alert_settings_at as "settingsAt"
     from vaults where id = $1`,
    [vaultId],
  );
  return rows[0] as { jobFailures: boolean; severities: string[]; tags: unknown; settingsAt: Date };
}

async function configureOperations(vaultId: string): Promise<string[]> {
  const { rows } = await sdk.svc.pool.query(
    `select message from operations where vault_id = $1 and kind = 'ConfigureVault' order by started_at`,
    [vaultId],
  );
  return rows.map((r) => r.message);
}

describe('monitoringSettings through the ARM API', () => {
  it('GET and the lists show the defaults: both Enabled', async () => {
    const me = await client.caller();
    await activeVault(me, 'Defaults');
    const get = await client.call('GET', vaultUrl(me.sub, RG, 'Defaults'), { token: me.token });
    expect(get.status).toBe(200);
    expect(get.body.properties.monitoringSettings).toEqual(settings('Enabled', 'Enabled'));
    const list = await client.call(
      'GET',
      `/subscriptions/${me.sub}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01`,
      { token: me.token },
    );
    expect(list.body.value.map((v: { properties: unknown }) => v.properties)).toEqual([
      expect.objectContaining({ monitoringSettings: settings('Enabled', 'Enabled') }),
    ]);
  });

  it('PATCH changes only what it gives, keeps Warning as it is, and records each change as a configuration', async () => {
    const me = await client.caller();
    const vaultId = await activeVault(me, 'Patched');
    const url = vaultUrl(me.sub, RG, 'Patched');
    const patch = (monitoringSettings: unknown) =>
      client.call('PATCH', url, { token: me.token, body: { properties: { monitoringSettings } } });
    const before = await columns(vaultId);

    const jobs = await patch({ azureMonitorAlertSettings: { alertsForAllJobFailures: 'Disabled' } });
    expect(jobs.status).toBe(200);
    expect(jobs.body.properties.monitoringSettings).toEqual(settings('Disabled', 'Enabled'));
    const afterJobs = await columns(vaultId);
    expect(afterJobs).toMatchObject({ jobFailures: false, severities: ['Critical', 'Warning'] });
    expect(afterJobs.settingsAt.getTime()).toBeGreaterThan(before.settingsAt.getTime());

    // Azure's values in any case; Critical leaves the severities, Warning stays.
    const critical = await patch({ classicAlertSettings: { alertsForCriticalOperations: 'disabled' } });
    expect(critical.body.properties.monitoringSettings).toEqual(settings('Disabled', 'Disabled'));
    expect(await columns(vaultId)).toMatchObject({ jobFailures: false, severities: ['Warning'] });

    // The same values again change nothing and record nothing.
    const again = await patch(settings('Disabled', 'Disabled'));
    expect(again.status).toBe(200);

    const both = await patch(settings('ENABLED', 'Enabled'));
    expect(both.body.properties.monitoringSettings).toEqual(settings('Enabled', 'Enabled'));
    expect(await columns(vaultId)).toMatchObject({ jobFailures: true, severities: ['Critical', 'Warning'] });
    expect((await client.call('GET', url, { token: me.token })).body.properties.monitoringSettings).toEqual(
      settings('Enabled', 'Enabled'),
    );

    // Without Warning (CONFIGURE's choice), Critical comes and goes alone.
    await sdk.svc.pool.query(`update vaults set alert_severities = '{}' where id = $1`, [vaultId]);
    expect((await patch(settings('Enabled', 'Enabled'))).body.properties.monitoringSettings).toEqual(
      settings('Enabled', 'Enabled'),
    );
    expect((await columns(vaultId)).severities).toEqual(['Critical']);
    await patch({ classicAlertSettings: { alertsForCriticalOperations: 'Disabled' } });
    expect((await columns(vaultId)).severities).toEqual([]);

    const updated = (jobFailures: string, critical: string) =>
      `The monitoring settings of backup vault 'Patched' have been updated: alerts for job failures ${jobFailures}, alerts for critical operations ${critical}.`;
    expect(await configureOperations(vaultId)).toEqual([
      updated('Disabled', 'Enabled'),
      updated('Disabled', 'Disabled'),
      updated('Enabled', 'Enabled'),
      updated('Enabled', 'Enabled'),
      updated('Enabled', 'Disabled'),
    ]);
    const { rows: logs } = await sdk.svc.pool.query(
      `select actor, category, operation, status, detail from operation_logs where vault_id = $1
         and operation = 'Configure backup vault' order by seq`,
      [vaultId],
    );
    expect(logs).toHaveLength(5);
    expect(logs[0]).toEqual({
      actor: me.user.email,
      category: 'Configuration',
      operation: 'Configure backup vault',
      status: 'Succeeded',
      detail: updated('Disabled', 'Enabled'),
    });
  });

  it('refuses anything but Enabled or Disabled with 400, changing nothing of the request', async () => {
    const me = await client.caller();
    const vaultId = await activeVault(me, 'Refusing');
    const before = await columns(vaultId);
    const bad: [Record<string, unknown>, string][] = [
      [
        { azureMonitorAlertSettings: { alertsForAllJobFailures: 'Off' } },
        'properties.monitoringSettings.azureMonitorAlertSettings.alertsForAllJobFailures: The value "Off" is not an alerts state: use Enabled or Disabled.',
      ],
      [
        { classicAlertSettings: { alertsForCriticalOperations: false } },
        'properties.monitoringSettings.classicAlertSettings.alertsForCriticalOperations: The value false is not an alerts state: use Enabled or Disabled.',
      ],
      [
        { classicAlertSettings: { alertsForCriticalOperations: null } },
        'properties.monitoringSettings.classicAlertSettings.alertsForCriticalOperations: The value null is not an alerts state: use Enabled or Disabled.',
      ],
    ];
    for (const [monitoringSettings, message] of bad) {
      for (const [method, extra] of [
        ['PATCH', {}],
        ['PUT', { location: 'westus' }],
      ] as const) {
        // A valid part beside the bad one (tags, the other setting) is not applied either.
        const answer = await client.call(method, vaultUrl(me.sub, RG, 'Refusing'), {
          token: me.token,
          body: {
            ...extra,
            tags: { changed: 'yes' },
            properties: { monitoringSettings: { ...settings('Disabled', 'Disabled'), ...monitoringSettings } },
          },
        });
        expect(answer, `${method} ${JSON.stringify(monitoringSettings)}`).toMatchObject({
          status: 400,
          body: { error: { code: 'InvalidRequestContent', message } },
        });
        expect(answer.headers.get('x-ms-error-code')).toBe('InvalidRequestContent');
      }
    }
    const notAnObject = await client.call('PATCH', vaultUrl(me.sub, RG, 'Refusing'), {
      token: me.token,
      body: { properties: { monitoringSettings: 'Disabled' } },
    });
    expect(notAnObject.status).toBe(400);
    expect(await columns(vaultId)).toEqual(before);
    expect(await configureOperations(vaultId)).toEqual([]);
  });

  it('PUT creates a vault with its settings, and on an existing vault changes them only when given', async () => {
    const me = await client.caller();
    const url = vaultUrl(me.sub, 'Put-RG', 'PutVault');
    const created = await client.call('PUT', url, {
      token: me.token,
      body: {
        location: 'westus',
        sku: { name: 'Standard' },
        properties: { monitoringSettings: { classicAlertSettings: { alertsForCriticalOperations: 'Disabled' } } },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.properties.monitoringSettings).toEqual(settings('Enabled', 'Disabled'));
    await client.pollUntilDone(created.headers.get('azure-asyncoperation')!, me.token);
    const { rows } = await sdk.svc.pool.query('select id from vaults where subscription_id = $1', [me.sub]);
    const vaultId = rows[0].id as string;
    expect(await columns(vaultId)).toMatchObject({ jobFailures: true, severities: ['Warning'] });

    // The SDK's PUT of an existing vault without monitoringSettings leaves them as they are.
    const kept = await client.call('PUT', url, {
      token: me.token,
      body: { location: 'westus', sku: { name: 'Standard' }, properties: {} },
    });
    expect(kept.status).toBe(200);
    expect(kept.body.properties.monitoringSettings).toEqual(settings('Enabled', 'Disabled'));

    const changed = await client.call('PUT', url, {
      token: me.token,
      body: { location: 'westus', properties: { monitoringSettings: settings('Disabled', 'Enabled') } },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.properties.monitoringSettings).toEqual(settings('Disabled', 'Enabled'));
    expect(await columns(vaultId)).toMatchObject({ jobFailures: false, severities: ['Critical', 'Warning'] });
    expect(await configureOperations(vaultId)).toHaveLength(2);
  });

  it('another subscription’s vault cannot be read or changed (404), nor a Reader change one (403)', async () => {
    const me = await client.caller();
    const other = await client.caller();
    const theirs = await activeVault(other, 'Theirs');
    const before = await columns(theirs);
    const body = { properties: { monitoringSettings: settings('Disabled', 'Disabled') } };
    for (const [method, extra] of [
      ['GET', undefined],
      ['PATCH', body],
      ['PUT', { location: 'westus', ...body }],
    ] as const) {
      const answer = await client.call(method, vaultUrl(other.sub, RG, 'Theirs'), { token: me.token, body: extra });
      expect(answer, method).toMatchObject({ status: 404, body: { error: { code: 'ResourceNotFound' } } });
    }
    const reader = await createTestUser(sdk.svc, {
      role: 'Reader',
      subscriptions: [{ id: other.sub, displayName: 'x' }],
    });
    const readerToken = (await createToken(sdk.svc.db, reader)).token;
    const refused = await client.call('PATCH', vaultUrl(other.sub, RG, 'Theirs'), { token: readerToken, body });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'AuthorizationFailed' } } });
    expect(await columns(theirs)).toEqual(before);
    expect(await configureOperations(theirs)).toEqual([]);
  });
});

describe('monitoringSettings through @azure/arm-recoveryservices 6', () => {
  it('reads the defaults, creates and updates with them, and has a bad value refused', async () => {
    const me = await client.caller();
    const vaults = sdk.vaultsClient(me.token, me.sub).vaults;

    const created = await vaults.beginCreateOrUpdateAndWait('sdk-rg', 'SdkMonitored', {
      location: 'westus',
      sku: { name: 'Standard' },
      properties: { monitoringSettings: { azureMonitorAlertSettings: { alertsForAllJobFailures: 'Disabled' } } },
    });
    expect(created.properties?.provisioningState).toBe('Succeeded');
    expect(created.properties?.monitoringSettings).toEqual(settings('Disabled', 'Enabled'));
    const { rows } = await sdk.svc.pool.query('select id from vaults where subscription_id = $1', [me.sub]);
    const vaultId = rows[0].id as string;
    expect(await columns(vaultId)).toMatchObject({ jobFailures: false, severities: ['Critical', 'Warning'] });

    const plain = await vaults.beginCreateOrUpdateAndWait('sdk-rg', 'SdkPlain', {
      location: 'westus',
      sku: { name: 'Standard' },
      properties: {},
    });
    expect(plain.properties?.monitoringSettings).toEqual(settings('Enabled', 'Enabled'));
    expect((await vaults.get('sdk-rg', 'SdkPlain')).properties?.monitoringSettings).toEqual(
      settings('Enabled', 'Enabled'),
    );

    const disabled = await vaults.beginUpdateAndWait('sdk-rg', 'SdkMonitored', {
      properties: { monitoringSettings: { classicAlertSettings: { alertsForCriticalOperations: 'Disabled' } } },
    });
    expect(disabled.properties?.monitoringSettings).toEqual(settings('Disabled', 'Disabled'));
    expect(await columns(vaultId)).toMatchObject({ jobFailures: false, severities: ['Warning'] });

    const enabled = await vaults.beginUpdateAndWait('sdk-rg', 'SdkMonitored', {
      properties: { monitoringSettings: settings('Enabled', 'Enabled') },
    });
    expect(enabled.properties?.monitoringSettings).toEqual(settings('Enabled', 'Enabled'));
    expect(await columns(vaultId)).toMatchObject({ jobFailures: true, severities: ['Critical', 'Warning'] });
    expect((await vaults.get('sdk-rg', 'SdkMonitored')).properties?.monitoringSettings).toEqual(
      settings('Enabled', 'Enabled'),
    );

    // A PUT of the existing vault without monitoringSettings keeps them (here: job failures Disabled).
    await vaults.beginUpdateAndWait('sdk-rg', 'SdkMonitored', {
      properties: { monitoringSettings: { azureMonitorAlertSettings: { alertsForAllJobFailures: 'Disabled' } } },
    });
    const put = await vaults.beginCreateOrUpdateAndWait('sdk-rg', 'SdkMonitored', {
      location: 'westus',
      sku: { name: 'Standard' },
      properties: {},
    });
    expect(put.properties?.monitoringSettings).toEqual(settings('Disabled', 'Enabled'));

    const listed = await all(vaults.listByResourceGroup('sdk-rg'));
    expect(listed.map((v) => [v.name, v.properties?.monitoringSettings])).toEqual([
      ['SdkMonitored', settings('Disabled', 'Enabled')],
      ['SdkPlain', settings('Enabled', 'Enabled')],
    ]);

    const before = await columns(vaultId);
    await expect(
      vaults.beginUpdateAndWait('sdk-rg', 'SdkMonitored', {
        tags: { changed: 'yes' },
        properties: { monitoringSettings: settings('Enabled', 'Sometimes') },
      }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidRequestContent',
      message: expect.stringContaining('use Enabled or Disabled'),
    });
    expect(await columns(vaultId)).toEqual(before);
  });

  it('cannot touch another subscription’s vault', async () => {
    const me = await client.caller();
    const other = await client.caller();
    const theirs = await activeVault(other, 'SdkTheirs');
    const before = await columns(theirs);
    const vaults = sdk.vaultsClient(me.token, other.sub).vaults;
    await expect(vaults.get(RG, 'SdkTheirs')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    await expect(
      vaults.beginUpdateAndWait(RG, 'SdkTheirs', {
        properties: { monitoringSettings: settings('Disabled', 'Disabled') },
      }),
    ).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(await columns(theirs)).toEqual(before);
  });
});
