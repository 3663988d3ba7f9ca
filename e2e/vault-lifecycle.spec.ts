import { expect, test } from './fixtures';
import { notifications, openQuickCreate, quickCreate, vaultRow } from './pages';

const NAME_RULE =
  'Type a name that contains between 2 and 50 characters. It must start with a letter, and can contain only letters, numbers, and hyphens.';

test('quick create: a new vault goes from Creating to Active in the notifications and the list', async ({
  portal: page,
}) => {
  await page
    .getByRole('navigation', { name: 'Services' })
    .getByRole('link', { name: /RECOVERY SERVICES/ })
    .click();
  const dialog = await openQuickCreate(page);
  await expect(dialog.getByLabel('Subscription')).toHaveCount(0);
  await expect(dialog.getByLabel('Region').locator('option')).toHaveCount(15);

  // Checked in the browser as the user types.
  await dialog.getByLabel('Name').fill('1-bad');
  await expect(dialog.getByText(NAME_RULE)).toBeVisible();
  await dialog.getByLabel('Name').fill('contoso-backup');
  await expect(dialog.getByText(NAME_RULE)).toHaveCount(0);
  await dialog.getByLabel('Region').selectOption({ label: 'North Europe' });
  await dialog.getByRole('button', { name: 'CREATE VAULT' }).click();
  await expect(dialog).toBeHidden();

  const region = notifications(page);
  const creating = region.getByRole('listitem').filter({ hasText: "Creating backup vault 'contoso-backup'..." });
  await expect(creating).toBeVisible();
  await expect(creating.getByRole('progressbar')).toBeVisible();
  const row = vaultRow(page, 'contoso-backup');
  await expect(row).toContainText('Creating');
  await expect(row).toContainText('Backup vault');
  await expect(row).toContainText('North Europe');
  await expect(row).toContainText('Free Trial');
  await page.screenshot({ path: 'test-results/screenshots/creating.png' });

  // No reload: the poll notices the end and the list refreshes itself.
  const done = region
    .getByRole('listitem')
    .filter({ hasText: "The backup vault 'contoso-backup' has been successfully created." });
  await expect(done).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText('Active');
  await page.screenshot({ path: 'test-results/screenshots/recovery-services.png' });
  await done.getByRole('button', { name: 'Dismiss' }).click();
  await expect(done).toHaveCount(0);

  await page.getByRole('link', { name: /ALL ITEMS/ }).click();
  await expect(vaultRow(page, 'contoso-backup')).toContainText('Active');
});

test('a duplicate name in another case and an invalid name show their messages and create nothing', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await expect(vaultRow(page, 'contoso-backup')).toBeVisible();
  const rowsBefore = await page.getByRole('row').count();
  const dialog = await quickCreate(page, 'CONTOSO-Backup');
  await expect(
    dialog.getByText("A backup vault named 'CONTOSO-Backup' already exists in this subscription."),
  ).toBeVisible();
  await dialog.getByLabel('Name').fill('x');
  await expect(dialog.getByText(NAME_RULE)).toBeVisible();
  await dialog.getByRole('button', { name: 'CREATE VAULT' }).click();
  await expect(dialog.getByText(NAME_RULE)).toBeVisible();
  await page.keyboard.press('Escape');
  await page.reload();
  await expect(page.getByRole('row')).toHaveCount(rowsBefore);
});

test('a vault opens on QUICK START first, then on the tab last visited', async ({ portal: page }) => {
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: 'contoso-backup', exact: true }).click();
  const vaultNav = page.getByRole('navigation', { name: 'Vault' });
  await expect(vaultNav.getByRole('link', { name: 'QUICK START' })).toHaveAttribute('aria-current', 'page');
  for (const tab of ['DASHBOARD', 'REGISTERED ITEMS', 'PROTECTED ITEMS', 'POLICIES', 'JOBS', 'CONFIGURE']) {
    await expect(vaultNav.getByRole('link', { name: tab })).toBeVisible();
  }
  await vaultNav.getByRole('link', { name: 'JOBS' }).click();
  await expect(page.getByRole('cell', { name: 'Create vault', exact: true }).first()).toBeVisible();
  await vaultNav.getByRole('link', { name: 'DASHBOARD' }).click();
  await expect(page.getByText('North Europe')).toBeVisible();
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: 'contoso-backup', exact: true }).click();
  await expect(vaultNav.getByRole('link', { name: 'DASHBOARD' })).toHaveAttribute('aria-current', 'page');
});

test('a failed vault shows the failure, and it can be deleted', async ({ portal: page }) => {
  await page.goto('/recovery-services');
  await quickCreate(page, 'fail-vault', 'Japan East');
  const failed = notifications(page)
    .getByRole('listitem')
    .filter({ hasText: "The backup vault 'fail-vault' could not be created: " });
  await expect(failed).toBeVisible({ timeout: 30_000 });
  await expect(vaultRow(page, 'fail-vault')).toContainText('Failed');
  await failed.getByRole('button', { name: 'Dismiss' }).click();

  await page.getByRole('link', { name: 'fail-vault', exact: true }).click();
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'DASHBOARD' }).click();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DELETE' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete backup vault' });
  await confirm.getByLabel('Reason').selectOption({ label: 'I created it by mistake' });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/recovery-services$/);
  await expect(
    notifications(page).getByRole('listitem').filter({ hasText: "The backup vault 'fail-vault' has been deleted." }),
  ).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('link', { name: 'fail-vault', exact: true })).toHaveCount(0);
});

test('another vault id answers not found', async ({ portal: page }) => {
  const response = await page.goto('/recovery-services/vaults/00000000-0000-4000-8000-000000000000/dashboard');
  expect(response?.status()).toBe(404);
});
