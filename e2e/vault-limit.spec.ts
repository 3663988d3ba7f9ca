import { expect, test } from './fixtures';
import { notifications, quickCreate } from './pages';

// Runs after every other spec (see playwright.config.ts): it fills the admin's only subscription.
test('the 26th vault of a subscription is refused with the contract message and nothing is created', async ({
  portal: page,
}) => {
  test.setTimeout(180_000);
  await page.goto('/recovery-services');
  // The table's rows less its header; an empty list has no table at all.
  const existing = Math.max(0, (await page.getByRole('row').count()) - 1);
  for (let i = existing; i < 25; i++) {
    await quickCreate(page, `bulk-${i}`);
    await expect(page.getByRole('dialog', { name: 'New' })).toBeHidden();
  }
  await expect(page.getByRole('row')).toHaveCount(26);
  await page.getByRole('button', { name: 'NEW' }).click();
  const dialog = page.getByRole('dialog', { name: 'New' });
  for (const choice of ['DATA SERVICES', 'RECOVERY SERVICES', 'BACKUP VAULT', 'QUICK CREATE']) {
    await dialog.getByRole('button', { name: choice }).click();
  }
  await expect(dialog.getByText('This subscription already has 25 backup vaults, the most it can hold.')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'CREATE VAULT' })).toBeDisabled();
  await page.keyboard.press('Escape');
  await expect(notifications(page).getByRole('progressbar').first()).toBeVisible();
  await page.reload();
  await expect(page.getByRole('row')).toHaveCount(26);
});
