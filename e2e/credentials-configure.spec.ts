import { readFile } from 'node:fs/promises';
import { parseVaultCredentialsFile } from '../lib/credentials/vault-credentials-file';
import { expect, test } from './fixtures';
import { createActiveVault, notifications } from './pages';

const VAULT = 'cred-vault';

test.describe.configure({ mode: 'serial' });

test('Quick Start downloads vault credentials of the contract, a new certificate each time', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await expect(
    page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'QUICK START' }),
  ).toHaveAttribute('aria-current', 'page');
  await expect(page.getByText('It is valid for 48 hours')).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/quick-start.png' });

  const thumbprints: string[] = [];
  for (let i = 0; i < 2; i++) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download vault credentials' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^cred-vault_[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{4}\.VaultCredentials$/,
    );
    const parsed = parseVaultCredentialsFile(await readFile((await download.path())!, 'utf8'));
    expect(parsed.resourceName).toBe(VAULT);
    expect(parsed.portalUrl).toBe(new URL(page.url()).origin);
    expect(parsed.notAfter.getTime() - parsed.notBefore.getTime()).toBe(48 * 3600_000 + 600_000);
    thumbprints.push(parsed.thumbprint);
  }
  expect(new Set(thumbprints).size).toBe(2);
});

test('Configure: switch to Locally Redundant, SAVE, reload and see it kept; DISCARD restores the saved choice', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'CONFIGURE' }).click();
  const group = page.getByRole('radiogroup', { name: 'Storage replication' });
  const bar = page.getByRole('toolbar', { name: 'Command bar' });
  await expect(group.getByRole('radio', { name: /Geo-Redundant/ })).toBeChecked();
  await expect(page.getByText('storage replication locks when the first item is registered')).toBeVisible();
  await expect(bar.getByRole('button', { name: 'SAVE' })).toBeDisabled();
  await expect(bar.getByRole('button', { name: 'DISCARD' })).toBeDisabled();

  await group.getByRole('radio', { name: /Locally Redundant/ }).check();
  await expect(bar.getByRole('button', { name: 'SAVE' })).toBeEnabled();
  await bar.getByRole('button', { name: 'SAVE' }).click();
  await expect(
    notifications(page).getByText(`The storage replication of backup vault '${VAULT}' is now Locally Redundant.`),
  ).toBeVisible();
  await expect(bar.getByRole('button', { name: 'SAVE' })).toBeDisabled();
  await page.screenshot({ path: 'test-results/screenshots/configure.png' });

  await page.reload();
  await expect(group.getByRole('radio', { name: /Locally Redundant/ })).toBeChecked();
  await group.getByRole('radio', { name: /Geo-Redundant/ }).check();
  await expect(bar.getByRole('button', { name: 'DISCARD' })).toBeEnabled();
  await bar.getByRole('button', { name: 'DISCARD' }).click();
  await expect(group.getByRole('radio', { name: /Locally Redundant/ })).toBeChecked();
  await expect(bar.getByRole('button', { name: 'SAVE' })).toBeDisabled();
});

test('the Dashboard shows the usage overview and the vault facts', async ({ portal: page }) => {
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'DASHBOARD' }).click();
  const usage = page.getByRole('region', { name: 'usage overview' });
  await expect(usage.getByText('REGISTERED SERVERS')).toBeVisible();
  await expect(usage.getByText('STORAGE USED')).toBeVisible();
  await expect(usage.getByText('SUCCESSFUL')).toBeVisible();
  await expect(page.getByRole('region', { name: 'quick glance' })).toContainText('Locally Redundant');
  // The e2e portal has a secondary store (playwright.config.ts); this vault keeps one copy.
  await expect(page.getByRole('region', { name: 'quick glance' })).toContainText('Not replicated (Locally Redundant)');
  await page.screenshot({ path: 'test-results/screenshots/dashboard-new-vault.png' });
});
