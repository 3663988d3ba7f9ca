import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultCredentialsFile } from '@/lib/credentials/vault-credentials-file';
import { createToken } from '@/lib/tokens/tokens';
import { createVault } from '@/lib/vaults/create';
import { messages } from '@/lib/vaults/validation';
import { startOperationWorkers } from '@/server/worker';
import { armTestClient, ORIGIN, vaultUrl } from '@/testing/arm';
import { createTestUser, type TestServices, testServices } from '@/testing/services';

let svc: TestServices;
let caller: ReturnType<typeof armTestClient>['caller'];
let call: ReturnType<typeof armTestClient>['call'];
let pollUntilDone: ReturnType<typeof armTestClient>['pollUntilDone'];

beforeAll(async () => {
  svc = await testServices({ PORTAL_URL: ORIGIN });
  await startOperationWorkers(svc);
  ({ caller, call, pollUntilDone } = armTestClient(svc));
});
afterAll(() => svc.close());

async function vaultRows(subscriptionId: string) {
  const { rows } = await svc.pool.query(
    'select name, status, storage_replication, tags from vaults where subscription_id = $1 order by name',
    [subscriptionId],
  );
  return rows;
}

describe('the ARM API', () => {
  it('answers 401 without a valid token and 404 for a subscription not the caller’s, changing nothing', async () => {
    const me = await caller();
    const other = await caller();
    const created = await createVault(svc, other.user, { name: 'Theirs', region: 'westus' });
    expect(created.ok).toBe(true);
    const before = await vaultRows(other.sub);

    for (const token of [null, 'not-a-token', `bvp_${'x'.repeat(43)}`]) {
      const answer = await call('GET', vaultUrl(me.sub, 'rg', 'Mine'), { token });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toMatch(/^(AuthenticationFailed|InvalidAuthenticationToken)$/);
    }
    const attempts: [string, string, unknown?][] = [
      ['GET', vaultUrl(other.sub, 'Default-RecoveryServices-ResourceGroup', 'Theirs')],
      ['PUT', vaultUrl(other.sub, 'rg', 'Sneaky'), { location: 'westus' }],
      ['PATCH', vaultUrl(other.sub, 'Default-RecoveryServices-ResourceGroup', 'Theirs'), { tags: { a: 'b' } }],
      ['DELETE', vaultUrl(other.sub, 'Default-RecoveryServices-ResourceGroup', 'Theirs')],
      ['GET', `/subscriptions/${other.sub}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01`],
      ['GET', `/subscriptions/${other.sub}/anything/else`],
    ];
    for (const [method, url, body] of attempts) {
      const answer = await call(method, url, { token: me.token, body });
      expect(answer.status, `${method} ${url}`).toBe(404);
      expect(answer.body.error.code).toBe('ResourceNotFound');
    }
    expect(await vaultRows(other.sub)).toEqual(before);
  });

  it('creates a vault as a long-running operation that ends when the vault is Active, in the resource group given', async () => {
    const me = await caller();
    const put = await call('PUT', vaultUrl(me.sub, 'My-RG', 'ArmVault'), {
      token: me.token,
      body: { location: 'West Europe', sku: { name: 'Standard' }, properties: {}, tags: { env: 'test' } },
    });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({
      name: 'ArmVault',
      location: 'westeurope',
      tags: { env: 'test' },
      properties: { provisioningState: 'Creating' },
    });
    const asyncUrl = put.headers.get('azure-asyncoperation')!;
    expect(asyncUrl).toMatch(
      new RegExp(
        `^${ORIGIN}/subscriptions/${me.sub}/resourceGroups/My-RG/providers/Microsoft.RecoveryServices/vaults/ArmVault/operationStatus/[0-9a-f-]{36}\\?api-version=2024-04-01$`,
      ),
    );
    expect(await pollUntilDone(asyncUrl, me.token)).toMatchObject({ status: 'Succeeded' });

    // Paths match case-insensitively, resource group included; the id keeps the case it was created with.
    const get = await call(
      'GET',
      `/Subscriptions/${me.sub}/resourcegroups/my-rg/providers/microsoft.recoveryservices/Vaults/armvault?api-version=1`,
      { token: me.token },
    );
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({
      id: `/subscriptions/${me.sub}/resourceGroups/My-RG/providers/Microsoft.RecoveryServices/vaults/ArmVault`,
      type: 'Microsoft.RecoveryServices/vaults',
      properties: {
        provisioningState: 'Succeeded',
        redundancySettings: { standardTierStorageRedundancy: 'GeoRedundant' },
      },
    });
    expect((await call('GET', vaultUrl(me.sub, 'other-rg', 'ArmVault'), { token: me.token })).status).toBe(404);

    const { rows } = await svc.pool.query('select kind, status, message from operations where user_id = $1', [
      me.user.id,
    ]);
    expect(rows).toEqual([
      {
        kind: 'CreateVault',
        status: 'Succeeded',
        message: "The backup vault 'ArmVault' has been successfully created.",
      },
    ]);
  });

  it('keeps the portal’s rules: names, one name per subscription, readers change nothing', async () => {
    const me = await caller();
    const bad = await call('PUT', vaultUrl(me.sub, 'rg', '1bad'), { token: me.token, body: { location: 'westus' } });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'InvalidResourceName', message: messages.name } },
    });
    const moon = await call('PUT', vaultUrl(me.sub, 'rg', 'Moon'), { token: me.token, body: { location: 'moon' } });
    expect(moon.status).toBe(400);
    expect(
      (await call('PUT', vaultUrl(me.sub, 'rg', 'Taken'), { token: me.token, body: { location: 'westus' } })).status,
    ).toBe(201);
    const again = await call('PUT', vaultUrl(me.sub, 'rg2', 'TAKEN'), {
      token: me.token,
      body: { location: 'westus' },
    });
    expect(again).toMatchObject({ status: 409, body: { error: { message: messages.duplicate('TAKEN') } } });

    const check = (name: string) =>
      call(
        'POST',
        `/subscriptions/${me.sub}/resourceGroups/any/providers/Microsoft.RecoveryServices/locations/westus/checkNameAvailability?api-version=2024-04-01`,
        {
          token: me.token,
          body: { type: 'Microsoft.RecoveryServices/Vaults', name },
        },
      );
    expect((await check('taken')).body).toEqual({
      nameAvailable: false,
      reason: 'AlreadyExists',
      message: messages.duplicate('taken'),
    });
    expect((await check('Free-Name')).body).toEqual({ nameAvailable: true });
    expect((await check('-x')).body).toMatchObject({ nameAvailable: false, reason: 'Invalid' });

    const reader = await createTestUser(svc, { role: 'Reader', subscriptions: [{ id: me.sub, displayName: 'x' }] });
    const readerToken = (await createToken(svc.db, reader)).token;
    const refused = await call('PUT', vaultUrl(me.sub, 'rg', 'ByReader'), {
      token: readerToken,
      body: { location: 'westus' },
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'AuthorizationFailed' } } });
    expect((await vaultRows(me.sub)).map((r) => r.name)).toEqual(['Taken']);
  });

  it('lists by subscription and by resource group in pages linked by nextLink', async () => {
    const me = await caller();
    for (let i = 0; i < 12; i++) {
      const rg = i % 3 === 0 ? 'Other' : 'Main';
      const created = await createVault(svc, me.user, {
        name: `list-${String(i).padStart(2, '0')}`,
        region: 'eastus',
        resourceGroup: rg,
      });
      expect(created.ok).toBe(true);
    }
    const names: string[] = [];
    let url: string | undefined =
      `/subscriptions/${me.sub}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01`;
    let pages = 0;
    while (url) {
      const page = await call('GET', url, { token: me.token });
      expect(page.status).toBe(200);
      names.push(...page.body.value.map((v: { name: string }) => v.name));
      url = page.body.nextLink;
      pages += 1;
    }
    expect(pages).toBe(2);
    expect(names).toHaveLength(12);
    const byGroup = await call(
      'GET',
      `/subscriptions/${me.sub}/resourceGroups/other/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01`,
      { token: me.token },
    );
    expect(byGroup.body.value.map((v: { name: string }) => v.name)).toEqual([
      'list-00',
      'list-03',
      'list-06',
      'list-09',
    ]);
    expect(byGroup.body.nextLink).toBeUndefined();
  });

  it('patches tags and storage replication, lists usages, and deletes as an operation, each an operation the portal shows', async () => {
    const me = await caller();
    const created = await createVault(svc, me.user, { name: 'Configured', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    const rg = 'Default-RecoveryServices-ResourceGroup';
    await pollUntilDone(vaultUrl(me.sub, rg, 'Configured', `/operationStatus/${created.data.operationId}`), me.token);

    const patched = await call('PATCH', vaultUrl(me.sub, rg, 'Configured'), {
      token: me.token,
      body: { tags: { team: 'ops' } },
    });
    expect(patched).toMatchObject({ status: 200, body: { tags: { team: 'ops' } } });

    const config = vaultUrl(me.sub, rg, 'Configured', '/backupstorageconfig/vaultstorageconfig').replace(
      '2024-04-01',
      '2023-06-01',
    );
    const lrs = await call('PATCH', config, {
      token: me.token,
      body: { properties: { storageType: 'LocallyRedundant' } },
    });
    expect(lrs.status).toBe(204);
    expect((await call('GET', config, { token: me.token })).body.properties).toMatchObject({
      storageType: 'LocallyRedundant',
      storageTypeState: 'Unlocked',
    });
    const usages = await call('GET', vaultUrl(me.sub, rg, 'Configured', '/usages'), { token: me.token });
    expect(usages.body.value).toContainEqual({
      unit: 'Count',
      currentValue: 0,
      limit: -1,
      name: { value: 'MABContainersCount', localizedValue: 'Registered servers' },
    });

    const removed = await call('DELETE', vaultUrl(me.sub, rg, 'Configured'), { token: me.token });
    expect(removed.status).toBe(202);
    expect(await pollUntilDone(removed.headers.get('azure-asyncoperation')!, me.token)).toMatchObject({
      status: 'Succeeded',
    });
    expect((await call('GET', vaultUrl(me.sub, rg, 'Configured'), { token: me.token })).status).toBe(404);
    expect((await call('DELETE', vaultUrl(me.sub, rg, 'Configured'), { token: me.token })).status).toBe(204);

    const { rows } = await svc.pool.query(
      'select kind, message from operations where user_id = $1 order by started_at',
      [me.user.id],
    );
    expect(rows.map((r) => r.message)).toEqual([
      "The backup vault 'Configured' has been successfully created.",
      "The tags of backup vault 'Configured' have been updated.",
      "The storage replication of backup vault 'Configured' is now Locally Redundant.",
      "The backup vault 'Configured' has been deleted.",
    ]);
  });

  it('refuses a storage type change once the vault is locked, as CONFIGURE does', async () => {
    const me = await caller();
    const created = await createVault(svc, me.user, { name: 'Locked', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    const config = vaultUrl(
      me.sub,
      'Default-RecoveryServices-ResourceGroup',
      'Locked',
      '/backupstorageconfig/vaultstorageconfig',
    );
    await svc.pool.query('update vaults set replication_locked = true where id = $1', [created.data.vaultId]);
    const locked = await call('PUT', config, {
      token: me.token,
      body: { properties: { storageType: 'LocallyRedundant' } },
    });
    expect(locked).toMatchObject({ status: 409, body: { error: { code: 'StorageTypeLocked' } } });
    expect((await call('GET', config, { token: me.token })).body.properties).toMatchObject({
      storageType: 'GeoRedundant',
      storageTypeState: 'Locked',
    });
  });

  it('makes an uploaded certificate the vault’s only current credential', async () => {
    const me = await caller();
    const created = await createVault(svc, me.user, { name: 'Certified', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    const rg = 'Default-RecoveryServices-ResourceGroup';
    await pollUntilDone(vaultUrl(me.sub, rg, 'Certified', `/operationStatus/${created.data.operationId}`), me.token);
    const upload = async () => {
      const file = await createVaultCredentialsFile({
        vaultName: 'Certified',
        vaultId: created.data.vaultId,
        subscriptionId: me.sub,
        portalUrl: ORIGIN,
      });
      const der = new X509Certificate(file.certificate.certificatePem).raw.toString('base64');
      const answer = await call('PUT', vaultUrl(me.sub, rg, 'Certified', '/certificates/mycert'), {
        token: me.token,
        body: { properties: { authType: 'AAD', certificate: der } },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.properties).toMatchObject({
        authType: 'AzureActiveDirectory',
        thumbprint: file.certificate.thumbprint,
      });
      return file.certificate.thumbprint;
    };
    await upload();
    const newest = await upload();
    const { rows } = await svc.pool.query(
      'select thumbprint from vault_credentials where vault_id = $1 and superseded_at is null',
      [created.data.vaultId],
    );
    expect(rows).toEqual([{ thumbprint: newest }]);
    const garbage = await call('PUT', vaultUrl(me.sub, rg, 'Certified', '/certificates/bad'), {
      token: me.token,
      body: { properties: { certificate: 'AAAA' } },
    });
    expect(garbage.status).toBe(400);
  });
});
