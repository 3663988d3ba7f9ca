import { randomUUID, X509Certificate } from 'node:crypto';
import { RecoveryServicesClient } from '@azure/arm-recoveryservices';
import { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';
import type { Page } from '@playwright/test';
import { createVaultCredentialsFile } from '../lib/credentials/vault-credentials-file';
import { expect, test } from './fixtures';
import { vaultRow } from './pages';

const RG = 'arm-e2e-group';
const VAULT = 'arm-sdk-vault';

/** CREATE TOKEN on /settings/tokens, as a person does; returns the token and the Free Trial subscription's id. */
async function createToken(page: Page) {
  await page.goto('/settings/tokens');
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'CREATE TOKEN' }).click();
  const token = await page.getByRole('textbox', { name: 'Token' }).inputValue();
  expect(token).toMatch(/^bvp_/);
  const subscriptionId = await page
    .getByRole('row')
    .filter({ hasText: 'Free Trial' })
    .getByRole('cell')
    .nth(1)
    .textContent();
  return { token, subscriptionId: subscriptionId!.trim() };
}

type Sdk = RecoveryServicesClient | RecoveryServicesBackupClient;

/** The two lines that let an unmodified SDK send a bearer token over plain http (see arm-api-requests.md). */
function withToken<T extends Sdk>(client: T, token: string): T {
  client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  client.pipeline.addPolicy(
    {
      name: 'portalToken',
      sendRequest: (request, next) => {
        request.headers.set('Authorization', `Bearer ${token}`);
        return next(request);
      },
    },
    { phase: 'Sign' },
  );
  return client;
}

function clients(baseURL: string, token: string, subscriptionId: string) {
  const credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const options = { endpoint: baseURL, allowInsecureConnection: true };
  return {
    vaults: withToken(new RecoveryServicesClient(credential, subscriptionId, options), token),
    backup: withToken(new RecoveryServicesBackupClient(credential, subscriptionId, options), token),
  };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test('the unmodified Azure SDKs create, configure and delete a vault the portal shows', async ({
  portal: page,
  baseURL,
}) => {
  const { token, subscriptionId } = await createToken(page);
  const { vaults: rs, backup } = clients(baseURL!, token, subscriptionId);

  const poller = await rs.vaults.beginCreateOrUpdate(RG, VAULT, {
    location: 'westeurope',
    sku: { name: 'Standard' },
    properties: {},
  });
  expect(poller.isDone()).toBe(false);
  const created = await poller.pollUntilDone();
  expect(created.id).toBe(
    `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.RecoveryServices/vaults/${VAULT}`,
  );
  expect(created.properties?.provisioningState).toBe('Succeeded');
  await page.goto('/recovery-services');
  await expect(vaultRow(page, VAULT)).toContainText('Active');

  const taken = await rs.recoveryServices.checkNameAvailability(RG, 'westeurope', {
    type: 'Microsoft.RecoveryServices/Vaults',
    name: VAULT.toUpperCase(),
  });
  expect(taken).toMatchObject({ nameAvailable: false, reason: 'AlreadyExists' });
  const free = await rs.recoveryServices.checkNameAvailability('any-group', 'westeurope', {
    type: 'Microsoft.RecoveryServices/Vaults',
    name: 'arm-unused-name',
  });
  expect(free.nameAvailable).toBe(true);

  expect(await rs.vaults.get(RG, VAULT)).toMatchObject({ name: VAULT, location: 'westeurope' });
  expect((await all(rs.vaults.listBySubscriptionId())).map((v) => v.name)).toContain(VAULT);
  expect((await all(rs.vaults.listByResourceGroup(RG))).map((v) => v.name)).toEqual([VAULT]);

  // PATCH answers 204 (the SDK refuses anything else); CONFIGURE then shows the new choice.
  await backup.backupResourceStorageConfigsNonCRR.patch(VAULT, RG, { properties: { storageType: 'LocallyRedundant' } });
  expect((await backup.backupResourceStorageConfigsNonCRR.get(VAULT, RG)).properties).toMatchObject({
    storageType: 'LocallyRedundant',
    storageTypeState: 'Unlocked',
  });
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'CONFIGURE' }).click();
  await expect(
    page.getByRole('radiogroup', { name: 'Storage replication' }).getByRole('radio', { name: /Locally Redundant/ }),
  ).toBeChecked();

  const file = await createVaultCredentialsFile({
    vaultName: VAULT,
    vaultId: randomUUID(),
    subscriptionId,
    portalUrl: baseURL!,
  });
  const der = new X509Certificate(file.certificate.certificatePem).raw;
  const certificate = await rs.vaultCertificates.create(RG, VAULT, 'arm-certificate', {
    properties: { authType: 'AAD', certificate: new Uint8Array(der) },
  });
  expect(certificate.properties).toMatchObject({
    authType: 'AzureActiveDirectory',
    thumbprint: file.certificate.thumbprint,
  });

  const usages = await all(rs.usages.listByVaults(RG, VAULT));
  expect(usages).toContainEqual(
    expect.objectContaining({ name: { value: 'MABContainersCount', localizedValue: 'Registered servers' } }),
  );
  await rs.registeredIdentities.delete(RG, VAULT, 'no-such-server');

  await rs.vaults.beginDeleteAndWait(RG, VAULT);
  await expect(rs.vaults.get(RG, VAULT)).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  await page.goto('/recovery-services');
  await expect(page.getByRole('link', { name: VAULT, exact: true })).toHaveCount(0);
});

test('a bad token gets 401, another subscription 404, and nothing changes there', async ({ portal: page, baseURL }) => {
  const { token, subscriptionId } = await createToken(page);
  const bad = clients(baseURL!, `bvp_${'x'.repeat(43)}`, subscriptionId).vaults;
  await expect(bad.vaults.get(RG, 'any-vault')).rejects.toMatchObject({ statusCode: 401 });
  await expect(all(bad.vaults.listBySubscriptionId())).rejects.toMatchObject({ statusCode: 401 });

  const stranger = clients(baseURL!, token, randomUUID()).vaults;
  await expect(
    stranger.vaults.beginCreateOrUpdateAndWait(RG, 'arm-sneaky-vault', {
      location: 'westus',
      sku: { name: 'Standard' },
    }),
  ).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  await expect(all(stranger.vaults.listBySubscriptionId())).rejects.toMatchObject({ statusCode: 404 });

  const mine = clients(baseURL!, token, subscriptionId).vaults;
  expect((await all(mine.vaults.listBySubscriptionId())).map((v) => v.name)).not.toContain('arm-sneaky-vault');
});

test('a token is shown once, listed with its use, and stops working when revoked', async ({
  portal: page,
  baseURL,
}) => {
  await page.getByRole('button', { name: /admin@example\.com/ }).click();
  await page.getByRole('menuitem', { name: 'Personal access tokens' }).click();
  await expect(page.getByRole('heading', { name: 'personal access tokens' })).toBeVisible();
  const { token, subscriptionId } = await createToken(page);
  const prefix = token.slice(0, 10);
  const row = page.getByRole('row').filter({ hasText: prefix });
  await expect(row).toContainText('Never');
  const rs = clients(baseURL!, token, subscriptionId).vaults;
  await all(rs.vaults.listBySubscriptionId());

  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Token' })).toHaveCount(0);
  await expect(row).not.toContainText('Never');
  await row.getByRole('radio').check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'REVOKE' }).click();
  await expect(row).toHaveCount(0);
  await expect(all(rs.vaults.listBySubscriptionId())).rejects.toMatchObject({ statusCode: 401 });
});
